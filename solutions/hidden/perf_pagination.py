from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, require, rule
from autograder.engine.proptest import examples


def _page(response):
    """A page as comparable data: status, ids, and whether a next page is linked."""
    if response.status_code != 200:
        return response.status_code, None, None
    body = response.json()
    return 200, [book["id"] for book in body.get("items", [])], bool(body.get("next"))


@rule("mandate-7", hint="Any page size and starting point: the reference's page.")
@examples
@given(
    limit=st.integers(min_value=-1, max_value=120), after=st.integers(min_value=-1, max_value=1600)
)
def test_any_page_matches_the_reference(learner_client, reference_client, limit, after):
    """generated page sizes and starting points get the reference's page"""
    params = {"limit": limit, "after": after}
    mine, theirs = ask_both(learner_client, reference_client, "GET", "/books", params=params)
    require(
        _page(mine) == _page(theirs),
        f"GET /books?limit={limit}&after={after}: your page {_page(mine)}, the reference's "
        f"{_page(theirs)} (status, ids, whether there is a next page).",
    )
