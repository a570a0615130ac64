from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import require, rule
from autograder.engine.proptest import examples

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
