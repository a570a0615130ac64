from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import require, rule, same_answer
from autograder.engine.proptest import examples

CALLERS = [None, "unknown", 1, 2, 3]
requests = st.tuples(
    st.sampled_from(CALLERS),
    st.one_of(
        st.just(("GET", "/admin/members", None)),
        st.just(("GET", "/admin/loans", None)),
        st.tuples(st.integers(1, 4), st.sampled_from(["member", "librarian", "owner"])).map(
            lambda c: ("PATCH", f"/admin/members/{c[0]}", {"role": c[1]})
        ),
        st.integers(min_value=1, max_value=4).map(lambda n: ("DELETE", f"/admin/loans/{n}", None)),
    ),
)


@rule("security-4", hint="Every caller, every admin route: the reference's answer and rows.")
def test_any_caller_gets_the_reference_answer(
    start_learner_app, reference_client, reference_database
):
    """generated callers and admin requests get the reference's answers and leave its rows"""
    app = start_learner_app()

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
            same_answer(mine, theirs, line, compare_body=theirs.is_success)
        for table in ("members", "loans"):
            query = f"SELECT * FROM {table} ORDER BY id"
            left, expected = app.database.rows(query), reference_database.rows(query)
            require(
                left == expected, f"Your {table} table holds {left}; the reference's {expected}."
            )

    run()
