from hypothesis import given
from hypothesis import strategies as st

from autograder.engine import cost
from autograder.engine.checkkit import ask_both, require, rule
from autograder.engine.proptest import examples

PUBLIC_IDS = "SELECT id FROM books WHERE shelf = 'public' ORDER BY id"
# A page of 20 costs the reference a millisecond or two over the socket; reading every public
# book (1,470 rows made into models) to cut a page from them costs ten times that and more.
TIMES_THE_REFERENCE = 3
SLACK_SECONDS = 0.003
COST_SAMPLES = 11


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


@rule(
    "mandate-7",
    hint=(
        "Let the database cut the page: `.where(BookRow.id > after).limit(limit + 1)` in the "
        "query, not every public book read and sliced in Python."
    ),
)
def test_a_page_costs_what_the_reference_page_costs(
    start_learner_app, start_reference_app, learner_database
):
    """the first page and one deep in the shelf cost what the reference's pages cost"""
    ids = [row[0] for row in learner_database.rows(PUBLIC_IDS)]
    deep = ids[-30]
    kinds = {
        "the first page": cost.repeated("/books?limit=20"),
        f"the page after id {deep}": cost.repeated(f"/books?limit=20&after={deep}"),
    }
    mine_app, theirs = start_learner_app(), start_reference_app()
    (mine, reference), _ = cost.costs_by_kind([mine_app.client, theirs], kinds, COST_SAMPLES)
    for kind in kinds:
        require(
            mine[kind] <= TIMES_THE_REFERENCE * reference[kind] + SLACK_SECONDS,
            f"GET /books for {kind} takes your app {mine[kind] * 1000:.1f} ms, the reference "
            f"{reference[kind] * 1000:.1f} ms (the fastest of {COST_SAMPLES} each, in turns): "
            "a page that costs as much as the whole shelf still reads the whole shelf. Let the "
            "database find the page (a WHERE on the id and a LIMIT), so that a page's cost "
            "stays the same as the shelf grows.",
        )
