import time

from autograder.engine import source_rules
from autograder.engine.checkkit import (
    body_of,
    expect_routes_ask_for,
    expect_status,
    fail,
    require,
    rule,
    show,
)
from autograder.engine.file_opens import FileOpens
from autograder.engine.sessions import sessions_never_closed
from workbook.host.protocol import REQUEST_ID_HEADER

PUBLIC = "SELECT id, title, author FROM books WHERE shelf = 'public' ORDER BY id"


def _books(rows):
    return [{"id": i, "title": t, "author": a} for i, t, a in rows]


@rule("di-1", hint="The list is the database's public books, in id order.")
def test_the_list_comes_from_the_database(learner_client, learner_database):
    """GET /books lists the public books of the app's database"""
    response = learner_client.get("/books")
    expect_status(response, 200, "GET /books")
    expected = _books(learner_database.rows(PUBLIC))
    require(
        body_of(response) == expected,
        f"GET /books answered {show(response)}; the database's public books are {expected}.",
    )


@rule("di-1", hint="Commit in the session the request was given, so the row outlives it.")
def test_a_new_book_is_in_the_database_afterwards(learner_client, learner_database):
    """POST /books answers 201, and the new book is a row of the database afterwards"""
    book = {"title": "Sessions and Their Scopes", "author": "Ida Rhodes"}
    response = learner_client.post("/books", json=book)
    expect_status(response, 201, "POST /books")
    created = body_of(response)
    stored = learner_database.rows(
        "SELECT title, author, shelf FROM books WHERE id = ?", (created.get("id"),)
    )
    require(
        stored == [(book["title"], book["author"], "public")],
        f"POST /books answered {show(response)}, but the database holds {stored} for that id.",
    )


@rule(
    "di-1",
    hint=(
        "Each route takes its session from `Depends(get_db)`, so that a test (or this check) "
        "can hand it another: `app.dependency_overrides[get_db] = ...`."
    ),
)
def test_the_session_can_be_swapped(start_learner_app, learner_source):
    """with `get_db` overridden, every route uses the session it is given"""
    routes = [("GET", "/books"), ("GET", "/books/{book_id}"), ("POST", "/books")]
    expect_routes_ask_for(learner_source, "get_db", routes)
    app = start_learner_app({"get_db": {"kind": "session", "url": "{other_database_url}"}})
    response = app.client.get("/books")
    expect_status(response, 200, "GET /books (get_db overridden)")
    expected = _books(app.other_database.rows(PUBLIC))
    own = _books(app.database.rows(PUBLIC))
    require(
        body_of(response) != own,
        "With `get_db` overridden to hand out sessions on another database, GET /books still "
        "listed the books of the database the app opened itself: the routes open their own "
        "sessions, so no test can give them another. Take the session as a dependency.",
    )
    require(
        body_of(response) == expected,
        f"With `get_db` overridden, GET /books answered {show(response)}; the overriding "
        f"session's database holds {expected}.",
    )
    read = app.client.get("/books/2")
    require(
        read.status_code == 200 and body_of(read) == expected[1],
        f"With `get_db` overridden, GET /books/2 answered {show(read)}; expected {expected[1]}.",
    )
    book = {"title": "Written Where It Was Told", "author": "Override Press"}
    created = app.client.post("/books", json=book)
    expect_status(created, 201, "POST /books (get_db overridden)")
    query = "SELECT count(*) FROM books WHERE title = ?"
    in_own = app.database.rows(query, (book["title"],))[0][0]
    in_other = app.other_database.rows(query, (book["title"],))[0][0]
    require(
        in_own == 0 and in_other == 1,
        f"With `get_db` overridden, POST /books wrote the book to the app's own database "
        f"({in_own} row) instead of the overriding session's ({in_other}): that route still "
        "opens a session of its own.",
    )


@rule(
    "di-1",
    hint=(
        "Open sessions in one place, `get_db` (`async with AsyncSession(...) as session: yield "
        "session`), and let every route take one as a parameter: `session: SessionDep`."
    ),
)
def test_sessions_are_opened_only_by_dependencies(learner_source):
    """no route opens a session of its own: sessions come from dependencies (read from the code)"""
    found = source_rules.sessions_opened_outside_dependencies(learner_source)
    where = "; ".join(
        f"line {opening.line}: {opening.what}"
        + (f" in `{opening.function}`" if opening.function else " at module level")
        for opening in found[:5]
    )
    require(
        not found,
        f"Sessions opened outside a dependency: {where}. A session a route opens itself is one "
        "that no test can replace: `app.dependency_overrides[get_db]` never reaches it.",
    )


@rule(
    "di-1",
    hint=(
        "A dependency that yields (`async with AsyncSession(...) as session: yield session`) "
        "closes its session once the response is sent; one that returns it never does."
    ),
)
def test_each_session_is_closed_after_its_request(learner_source):
    """the dependency that opens a session closes it after the response (read from the code)"""
    found = sessions_never_closed(learner_source)
    where = "; ".join(f"`{name}` (line {line})" for line, name in found)
    require(
        not found,
        f"{where} opens a session and returns it: nothing ever closes it. Its connection stays "
        "checked out of the pool until the garbage collector finds it, and SQLAlchemy can only "
        "drop it then (with a warning), not hand it back. FastAPI runs a dependency's code "
        "after `yield` once the response is sent: yield the session inside `async with`.",
    )


# Connections counted by the kernel through the database file (autograder.engine.file_opens).
# Public books, the list, and staff books (404: the route raises while the session is out).
CONNECTION_URLS = ["/books", "/books/5", "/books/6", "/books/2", "/books/6", "/books/5"]
CONNECTION_REQUESTS = 20
LEFT_OPEN_AT_MOST = 6  # a pool keeps one or two; a session or engine per request left 12 to 16
AFTER_EACH_SECONDS = 0.05  # waited only after a request that opened a connection
SETTLE_SECONDS = 0.5  # for the sessions of the last responses to be closed after them


@rule(
    "di-1",
    hint=(
        "One engine for the app (made once, as `engine_for` is), and each request's session "
        "closed when the request is done: `async with AsyncSession(engine) as session: yield "
        "session`. A bare `yield session` never gives its connection back, and a close after "
        "`yield` without `try`/`finally` is skipped whenever the route raises; an engine made "
        "per request is a pool nobody ever closes."
    ),
)
def test_requests_leave_no_connection_open(learner_client, learner_database):
    """twenty requests, one after another (most of them 404), leave no connection open"""
    watch = FileOpens(learner_database.real_path or learner_database.path)
    try:
        for n in range(CONNECTION_REQUESTS):
            before = watch.opened - watch.closed
            learner_client.get(CONNECTION_URLS[n % len(CONNECTION_URLS)])
            watch.read()
            # A session is closed just after its response is sent: its close read before the
            # next request opens anything, or the kernel may merge it with the next close.
            deadline = time.monotonic() + AFTER_EACH_SECONDS
            while watch.opened - watch.closed > before and time.monotonic() < deadline:
                time.sleep(0.002)
                watch.read()
        deadline = time.monotonic() + SETTLE_SECONDS
        while watch.opened - watch.closed > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
            watch.read()
    finally:
        watch.close()
    left = watch.opened - watch.closed
    require(
        left <= LEFT_OPEN_AT_MOST,
        f"{CONNECTION_REQUESTS} requests, one after another (GET /books, /books/2, and the "
        f"staff books /books/5 and /books/6, which answer 404), opened {watch.opened} "
        f"connections to the database file and closed {watch.closed}: {left} are still open "
        "after the responses were sent. Either a request's session is not always closed (a "
        "bare `yield session`, or `yield session` then `await session.close()` with no "
        "`try`/`finally`: when the route raises, as a 404 does, FastAPI throws the exception "
        "in at the `yield` and the close below it never runs; the connection stays checked "
        "out until the garbage collector drops it), or each request builds an engine of its "
        "own (its pool keeps the connection, and nothing ever disposes of it). Make the engine "
        "once for the app and yield each session inside `async with`, which closes it after "
        "the response.",
    )


AT_ONCE = 24  # requests in flight together: public, staff and missing books, and new books
AT_ONCE_URLS = ["/books/1", None, "/books/5", "/books/99", None, "/books/2", None, "/books/6"]


@rule(
    "di-1",
    hint=(
        "A session is one request's conversation with the database: it must not be shared. "
        "`get_db` makes a new one for every request (`async with AsyncSession(engine) as "
        "session: yield session`); only the engine is made once and shared."
    ),
)
def test_requests_at_once_each_get_their_answer(start_learner_app):
    """requests sent at the same time (reads and new books) each get their own right answer"""
    # A fresh app: no connection made yet, so the first requests of the burst all need one.
    app = start_learner_app()
    burst, asked = [], []
    for n in range(AT_ONCE):
        url = AT_ONCE_URLS[n % len(AT_ONCE_URLS)]
        headers = {REQUEST_ID_HEADER: f"at-once-{n}"}
        if url is None:
            book = {"title": f"Written Together {n}", "author": "Many Hands"}
            burst.append(("POST", "/books", {"json": book, "headers": headers}))
            asked.append(("POST /books", book))
        else:
            burst.append(("GET", url, {"headers": headers}))
            asked.append((f"GET {url}", None))
    timed, _ = app.client.concurrently(burst)
    public = {f"GET /books/{book['id']}": book for book in _books(app.database.rows(PUBLIC))}
    wrong = []
    for n, ((line, book), answer) in enumerate(zip(asked, timed, strict=True)):
        response = answer.response
        if book is not None:
            got = body_of(response)
            expected = f"201 {book} with an id"
            right = (
                response.status_code == 201
                and isinstance(got, dict)
                and {k: got.get(k) for k in book} == book
            )
        elif line in public:
            expected = f"200 {public[line]}"
            right = response.status_code == 200 and body_of(response) == public[line]
        else:
            expected = "404"
            right = response.status_code == 404
        if not right:
            wrong.append((n, line, response, expected))
    if wrong:
        n, line, response, expected = wrong[0]
        shown = show(response)
        error = app.client.report.error_for(f"at-once-{n}", wait=0.2)
        if error is not None:
            shown += f" (your app raised {error.type}: {error.message})"
        fail(
            f"The app started afresh, then {AT_ONCE} requests sent at the same time (GET "
            f"/books/{{id}} for public, staff and missing books, and POST /books): {len(wrong)} "
            f"got a wrong answer, where one by one they are right. {line} answered {shown}; "
            f"expected {expected}. An AsyncSession serves one request at a time: one kept and "
            "handed to every request (in a global, a dict, a cache) is used by two requests at "
            "once, and SQLAlchemy refuses (InvalidRequestError, IllegalStateChangeError), or "
            "one request commits another's half-done work. Make a new session in `get_db` for "
            "each request.",
        )
    titles = [book["title"] for _, book in asked if book is not None]
    stored = app.database.rows("SELECT title FROM books WHERE author = 'Many Hands' ORDER BY title")
    require(
        sorted(titles) == [title for (title,) in stored],
        f"{len(titles)} books posted at the same time, each answered 201, but the database "
        f"holds {len(stored)} of them: {stored[:5]}.",
    )
