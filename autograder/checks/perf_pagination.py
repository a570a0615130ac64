import httpx

from autograder.engine.checkkit import body_of, expect_status, require, rule, show

PUBLIC_IDS = "SELECT id FROM books WHERE shelf = 'public' ORDER BY id"
MAX_PAGES = 40


def path_of(url):
    """A next-page link as a request path (absolute links are reduced to their path and query)."""
    parsed = httpx.URL(url)
    return parsed.raw_path.decode("ascii", "replace")


@rule(
    "mandate-7",
    hint=(
        "Answer a page, not the shelf: `limit: Annotated[int, Query(ge=1, le=100)] = 20`, and "
        '`{"items": [...], "next": ...}`.'
    ),
)
def test_the_first_page_is_a_page(learner_client, learner_database):
    """GET /books answers one page of 20 books and a link to the next"""
    response = learner_client.get("/books")
    expect_status(response, 200, "GET /books")
    body = body_of(response)
    public = len(learner_database.rows(PUBLIC_IDS))
    if isinstance(body, list):
        require(
            False,
            f"GET /books answered all {len(body)} public books at once "
            f"({len(response.content) // 1024} KB). The shelf grows; the answer, the database's "
            "work and the client's memory grow with it. Answer a page at a time.",
        )
    require(
        isinstance(body, dict) and isinstance(body.get("items"), list),
        f'GET /books answered {show(response)}; expected {{"items": [...], "next": ...}}.',
    )
    require(
        len(body["items"]) == 20 and body.get("next"),
        f"GET /books answered {len(body['items'])} of the {public} public books, and next: "
        f"{body.get('next')!r}. The default page holds 20, with a link to the next.",
    )


@rule("mandate-7", hint="Bound the page size where FastAPI checks it: `Query(le=100)`.")
def test_a_page_size_has_a_bound(learner_client):
    """asking for 1,000 books a page (or 0) is refused with 422"""
    for limit in (1000, 0):
        response = learner_client.get("/books", params={"limit": limit})
        require(
            response.status_code == 422,
            f"GET /books?limit={limit} answered {show(response)}. A page size a client can set "
            "without a bound is no bound: 1 to 100, and 422 otherwise.",
        )


@rule(
    "mandate-7",
    hint=(
        "Order by the id, and start each page after the last id of the one before "
        "(`BookRow.id > after`): every book once, in order, even while books are added."
    ),
)
def test_following_next_gives_every_book_once(learner_client, learner_database):
    """following `next` from the first page gives every public book once, in id order"""
    expected = [row[0] for row in learner_database.rows(PUBLIC_IDS)]
    seen, url = [], "/books?limit=100"
    for _ in range(MAX_PAGES):
        response = learner_client.get(url)
        expect_status(response, 200, f"GET {url}")
        body = body_of(response)
        if not isinstance(body, dict):
            require(False, f"GET {url} answered {show(response)}: not a page.")
        seen.extend(book.get("id") for book in body.get("items", []))
        if not body.get("next"):
            break
        url = path_of(body["next"])
    require(
        seen == expected,
        f"Following `next` from /books?limit=100 gave {len(seen)} books "
        f"({len(set(seen))} different, {'in' if seen == sorted(seen) else 'not in'} id order); "
        f"the shelf holds {len(expected)} public books. Pages must cover it once, in id order.",
    )
