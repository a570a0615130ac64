import httpx
from hypothesis import example, given
from hypothesis import strategies as st

from autograder.engine import cost
from autograder.engine.checkkit import ask_both, require, rule
from autograder.engine.proptest import examples

PUBLIC_IDS = "SELECT id FROM books WHERE shelf = 'public' ORDER BY id"
# A page of 20 costs the reference half a millisecond to a millisecond over the socket;
# reading every public book (1,470 rows made into models) to cut a page from them costs 6 ms
# and more (ten times as much; more still on a busy machine, which slows both alike). The
# slack covers a correct page even where the reference's fastest came out near zero (the
# timing takes off what the checks waited for a CPU).
TIMES_THE_REFERENCE = 3
SLACK_SECONDS = 0.002
COST_SAMPLES = 11


def _page(response):
    """A page as comparable data: status, its books (id, title, author), and whether a next
    page is linked."""
    if response.status_code != 200:
        return response.status_code, None, None
    body = response.json()
    books = [
        (book.get("id"), book.get("title"), book.get("author")) for book in body.get("items", [])
    ]
    return 200, books, bool(body.get("next"))


@rule("mandate-7", hint="Any page size and starting point: the reference's page.")
@examples
@given(
    limit=st.integers(min_value=-1, max_value=120), after=st.integers(min_value=-1, max_value=1600)
)
@example(limit=1, after=0)
@example(limit=20, after=-1)
@example(limit=100, after=0)
@example(limit=101, after=0)
def test_any_page_matches_the_reference(learner_client, reference_client, limit, after):
    """generated page sizes and starting points get the reference's page"""
    params = {"limit": limit, "after": after}
    mine, theirs = ask_both(learner_client, reference_client, "GET", "/books", params=params)
    require(
        _page(mine) == _page(theirs),
        f"GET /books?limit={limit}&after={after}: your page {_page(mine)}, the reference's "
        f"{_page(theirs)} (status, books, whether there is a next page).",
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
    for stream in kinds.values():
        url = next(stream())
        mine_page, their_page = ask_both(mine_app.client, theirs, "GET", url)
        require(
            _page(mine_page) == _page(their_page) and their_page.status_code == 200,
            f"GET {url}: your page {_page(mine_page)}, the reference's {_page(their_page)}.",
        )
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


def _path(link):
    return httpx.URL(link).raw_path.decode("ascii", "replace")


@rule(
    "mandate-7",
    hint=(
        "`next` keeps the client's page size (`limit`) and is absent when nothing follows: "
        "ask for one more than the page, and link only if it came."
    ),
)
def test_next_keeps_the_page_size_and_ends_on_the_last_page(
    learner_client, reference_client, learner_database
):
    """pages of 7 followed by `next` stay pages of 7; a last page of exactly 20 links nothing"""
    ids = [row[0] for row in learner_database.rows(PUBLIC_IDS)]
    mine_url = theirs_url = "/books?limit=7"
    for _ in range(3):
        mine, theirs = learner_client.get(mine_url), reference_client.get(theirs_url)
        require(
            _page(mine) == _page(theirs),
            f"Following `next` from /books?limit=7, GET {mine_url}: your page {_page(mine)}, "
            f"the reference's {_page(theirs)} (the page size the client chose, kept).",
        )
        mine_url, theirs_url = _path(mine.json()["next"]), _path(theirs.json()["next"])
    url = f"/books?limit=20&after={ids[-21]}"  # exactly twenty books are left
    mine, theirs = ask_both(learner_client, reference_client, "GET", url)
    require(
        _page(mine) == _page(theirs),
        f"GET {url} (the last twenty books): your page {_page(mine)}, the reference's "
        f"{_page(theirs)}; the last page links no next page.",
    )
