from hypothesis import example, given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, require, rule, same_answer
from autograder.engine.proptest import examples, slow_examples
from autograder.engine.rate_limits import judge, play

runs = iter(range(10_000))  # fresh client names for every example, on both sides


@rule("security-6", hint="Any mix of clients: the reference's statuses, request by request.")
@examples
@given(order=st.lists(st.sampled_from("abc"), min_size=1, max_size=14))
def test_any_mix_of_clients_gets_the_reference_answers(learner_client, reference_client, order):
    """generated interleavings of three clients get the reference's 200s and 429s"""
    run = next(runs)
    for who in order:
        headers = {"X-Api-Key": f"h{run}-{who}"}
        mine = learner_client.get("/search", params={"q": "art"}, headers=headers)
        theirs = reference_client.get("/search", params={"q": "art"}, headers=headers)
        require(
            mine.status_code == theirs.status_code
            and ("retry-after" in mine.headers) == ("retry-after" in theirs.headers),
            f"Clients {''.join(order)}: client {who} got {mine.status_code}, the reference "
            f"{theirs.status_code} (with Retry-After: {'retry-after' in theirs.headers}).",
        )


# Every title found by one of these, and the query's bounds (1 to 50 characters) on both sides.
QUERIES = ["engine", "ART", "every", "kernel", "sort", "of", "nothing", "", "a", "x" * 50, "x" * 51]


@rule("mandate-8", hint="The search itself, as before: the same titles, the same bounds on `q`.")
def test_searches_find_what_the_reference_finds(learner_client, reference_client):
    """each search, from a client of its own, gets the reference's titles (or its 422)"""
    for n, q in enumerate(QUERIES):
        headers = {"X-Api-Key": f"q{n}"}
        mine, theirs = ask_both(
            learner_client, reference_client, "GET", "/search", params={"q": q}, headers=headers
        )
        same_answer(mine, theirs, f"GET /search?q={q}")


@rule("mandate-8", hint="Any searches over time: the lesson's limit, for every client.")
@slow_examples
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from([0.0, 0.0, 0.0, 0.5, 1.0, 2.5, 4.0, 7.0, 10.0]),
            st.sampled_from("ab"),
            st.booleans(),
        ),
        min_size=6,
        max_size=24,
    )
)
@example(steps=[(0.0, "a", False)] * 6 + [(3.0, "a", True), (0.0, "a", True)])
def test_any_searches_over_time_keep_the_limit(learner_client, steps):
    """generated searches over a minute of moved time keep five in ten seconds, for each client"""
    judge(play(learner_client, steps))
