from urllib.parse import quote

from autograder.engine import source_rules
from autograder.engine.checkkit import body_of, brief, expect_status, require, rule, show

STAFF_TITLES = {"Staff Rota and Door Codes", "Member Complaints 2031"}


def _leaked(response):
    body = body_of(response)
    if not isinstance(body, list):
        return []
    return sorted({b.get("title") for b in body if isinstance(b, dict)} & STAFF_TITLES)


def _expect_no_leak(response, request_line, learner_database):
    leaked = _leaked(response)
    require(
        not leaked,
        f"{request_line} answered {show(response)}: the staff shelf leaked ({', '.join(leaked)}). "
        "The value was pasted into the SQL text, so its quote ended the string and the rest "
        "ran as SQL. Send values as bound parameters (or build the query with select()).",
    )
    require(
        response.status_code == 200,
        f"{request_line} answered {show(response)}. A value with quotes in it is still just a "
        "value: the answer is 200 with the books that match it (none), never a 500.",
    )
    books = learner_database.rows("SELECT count(*) FROM books")[0][0]
    require(books >= 6, f"After {request_line}, the books table holds {books} rows.")


@rule("security-5", hint="Search with a bound parameter, so the database matches it as text.")
def test_a_search_finds_titles_in_any_case(learner_client):
    """GET /books/search finds public titles containing the text, in any case"""
    response = learner_client.get("/books/search", params={"q": "engine"})
    expect_status(response, 200, "GET /books/search?q=engine")
    titles = (
        [b.get("title") for b in body_of(response)] if isinstance(body_of(response), list) else []
    )
    expected = ["The Analytical Engine", "Engines of Logic"]
    require(
        titles == expected,
        f"GET /books/search?q=engine answered {show(response)}; expected {expected}.",
    )


@rule(
    "security-5",
    hint=(
        "`select(BookRow).where(BookRow.title.icontains(q, autoescape=True))`, or "
        '`text("... LIKE :pattern").bindparams(pattern=...)`: never an f-string.'
    ),
)
def test_a_crafted_search_leaks_nothing(learner_client, learner_database):
    """a search crafted to break out of the SQL string finds no staff books"""
    crafted = "' OR shelf = 'staff' --"
    response = learner_client.get("/books/search", params={"q": crafted})
    _expect_no_leak(response, f"GET /books/search?q={brief(crafted)}", learner_database)


@rule("security-5", hint="A path parameter is a value too: bind it like any other.")
def test_a_crafted_author_leaks_nothing(learner_client, learner_database):
    """an author name crafted to break out of the SQL string finds no staff books"""
    crafted = "x' OR '1'='1"
    response = learner_client.get(f"/authors/{quote(crafted)}/books")
    _expect_no_leak(response, f"GET /authors/{crafted}/books", learner_database)


@rule("security-5", hint="A real name with an apostrophe must work: bound values need no escaping.")
def test_an_apostrophe_is_just_a_character(learner_client, learner_database):
    """a search for O'Brien answers 200 (an apostrophe is not SQL)"""
    response = learner_client.get("/books/search", params={"q": "O'Brien"})
    _expect_no_leak(response, "GET /books/search?q=O'Brien", learner_database)


@rule(
    "security-5",
    hint=(
        "Write the statement's text out in the code, with a placeholder where each value goes "
        '(`text("... LIKE :pattern").bindparams(pattern=...)`), or build it with select().'
    ),
)
def test_the_sql_text_is_written_in_the_code(learner_source):
    """the SQL text is written in the code, and values travel beside it as bound parameters"""
    built = source_rules.sql_text_built_at_run_time(learner_source)
    line, call = built[0] if built else (0, "")
    require(
        not built,
        f"Line {line}: `{call}` hands the database SQL text put together at run time, so the "
        "values are pasted into it. Escaping them by hand (doubled quotes, backslashes) is a "
        "guess at the database's grammar that the next value can beat; a bound parameter is "
        "never read as SQL at all.",
    )


# A real author, then names that are not exactly theirs: other cases, and LIKE's wildcards.
AUTHOR_VARIANTS = [
    "Ada Lovelace",
    "ada lovelace",
    "ADA LOVELACE",
    "Ada%",
    "Ada_Lovelace",
    "%",
    "_%",
]


@rule(
    "security-5",
    hint=(
        "Exactly this author means equal, as the starter's `author = ...` says: "
        "`BookRow.author == author` (or `author = :author`). `like`/`ilike` read `%` and `_` "
        "as wildcards, and `ilike` ignores case."
    ),
)
def test_an_author_is_matched_exactly(learner_client, learner_database):
    """GET /authors/{author}/books lists that author's public books only, spelled exactly"""
    query = "SELECT id, title, author FROM books WHERE shelf = 'public' AND author = ? ORDER BY id"
    for author in AUTHOR_VARIANTS:
        line = f"GET /authors/{author}/books"
        response = learner_client.get(f"/authors/{quote(author, safe='')}/books")
        expect_status(response, 200, line)
        expected = [
            {"id": i, "title": t, "author": a}
            for i, t, a in learner_database.rows(query, (author,))
        ]
        require(
            body_of(response) == expected,
            f"{line} answered {show(response)}; the public books by exactly {author!r} are "
            f"{expected}. The author is matched as a pattern or without its case (`like`, "
            "`ilike`), not as this exact name: other spellings and `%`/`_` find books of "
            "authors never asked for. Compare for equality.",
        )
