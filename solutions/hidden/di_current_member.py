from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import require, rule, same_answer
from autograder.engine.proptest import examples

CALLERS = [None, "unknown", 1, 2, 3]  # no token, a token never issued, each member's own
requests = st.tuples(
    st.sampled_from(CALLERS),
    st.one_of(
        st.just(("GET", "/me", None)),
        st.just(("GET", "/me/loans", None)),
        st.integers(min_value=0, max_value=7).map(lambda b: ("POST", "/me/loans", {"book_id": b})),
        st.integers(min_value=1, max_value=6).map(lambda n: ("DELETE", f"/me/loans/{n}", None)),
    ),
)


@rule("di-2", hint="Every caller, every route: the reference's answer, and the same loans left.")
def test_any_caller_gets_the_reference_answer(
    start_learner_app, reference_client, reference_database
):
    """generated callers and requests get the reference's answers and leave the same loans"""
    app = start_learner_app()  # a fresh database, seen only by this check, as the reference's

    @examples
    @given(sequence=st.lists(requests, min_size=1, max_size=4))
    def run(sequence):
        for caller, (method, url, body) in sequence:
            kwargs = {"json": body} if body is not None else {}
            mine = app.client.request(
                method, url, headers=app.database.headers_for(caller), **kwargs
            )
            theirs = reference_client.request(
                method, url, headers=reference_database.headers_for(caller), **kwargs
            )
            line = f"{method} {url} as {caller or 'nobody'}"
            # An error's wording is the learner's own; its status and the data are not.
            same_answer(mine, theirs, line, ignore_keys={"id"}, compare_body=theirs.is_success)
        query = "SELECT book_id, member_id, due FROM loans ORDER BY id"
        left, expected = app.database.rows(query), reference_database.rows(query)
        require(left == expected, f"Your loans table holds {left}; the reference's {expected}.")

    run()
