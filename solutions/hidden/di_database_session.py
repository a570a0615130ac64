import contextlib
import shutil
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from autograder.engine.checkkit import ask_both, require, rule, same_answer
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.proptest import examples
from autograder.engine.sequences import Played, play_machine
from workbook.databases import OTHER_BOOKS, create_library

titles = st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs")), max_size=130)


@rule("di-1", hint="Every book id gets the reference's answer: public books only, else 404.")
@examples
@given(book_id=st.integers(min_value=-1, max_value=6))  # 7 on: books the checks add
def test_any_book_id_gets_the_reference_answer(learner_client, reference_client, book_id):
    """any book id gets the reference's answer (staff books stay hidden)"""
    url = f"/books/{book_id}"
    same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")


@rule("di-1", hint="New books: the same status as the reference, and the same row left behind.")
@examples
@given(title=titles, author=st.sampled_from(["Hidden Author", ""]))
def test_new_books_leave_the_rows_the_reference_leaves(
    learner_client, reference_client, learner_database, reference_database, title, author
):
    """generated books get the reference's answer and leave the same rows behind"""
    book = {"title": f"H {title}", "author": author}
    mine, theirs = ask_both(learner_client, reference_client, "POST", "/books", json=book)
    same_answer(mine, theirs, "POST /books", ignore_keys={"id"})
    query = "SELECT title, author, shelf FROM books WHERE title LIKE 'H %' ORDER BY id"
    left, expected = learner_database.rows(query), reference_database.rows(query)
    require(
        left == expected,
        f"After the same new books, your database holds {left[-3:]} (last three), the "
        f"reference's {expected[-3:]}.",
    )


@rule("di-1", hint="Every route, reads and writes, must use the session `get_db` hands it.")
def test_every_route_uses_an_overridden_session(start_learner_app):
    """with `get_db` overridden, each route reads and writes the overriding database only"""
    app = start_learner_app({"get_db": {"kind": "session", "url": "{other_database_url}"}})
    for book_id in (1, 2, 3):
        response = app.client.get(f"/books/{book_id}")
        title = app.other_database.rows("SELECT title FROM books WHERE id = ?", (book_id,))
        shelf = app.other_database.rows("SELECT shelf FROM books WHERE id = ?", (book_id,))
        expected = 200 if shelf == [("public",)] else 404
        require(
            response.status_code == expected
            and (expected == 404 or response.json().get("title") == title[0][0]),
            f"With `get_db` overridden, GET /books/{book_id} answered {response.status_code} "
            f"{response.text[:120]}; the overriding database says {expected} {title}.",
        )


book_steps = st.one_of(
    st.sampled_from(["Kept Sessions", "Read Back"]).map(
        lambda title: {
            "method": "POST", "url": "/books", "json": {"title": title, "author": "Seq Press"},
        }
    ),
    st.just({"method": "GET", "url": "/books"}),
    st.integers(min_value=1, max_value=5).map(lambda n: {"method": "GET", "url": f"/books/{n}"}),
)  # fmt: skip
WRITTEN = {"method": "POST", "url": "/books", "json": {"title": "Read Back", "author": "Seq"}}


@contextlib.contextmanager
def _reference_on_other_books(reference):
    """The reference app with `get_db` replaced by sessions on a fresh database of the other
    books, as the learner's app is started: put back afterwards (checks run one at a time)."""
    folder = Path(tempfile.mkdtemp(prefix="workbook-reference-other-"))
    database = create_library(folder / "other.sqlite3", books=OTHER_BOOKS)
    # NullPool: each connection closed when its session is, so nothing outlives this run.
    engine = create_async_engine(database.url, poolclass=NullPool)

    async def other_session():
        async with AsyncSession(engine, expire_on_commit=False) as session:
            yield session

    app = reference.app
    before = app.dependency_overrides.get(reference.get_db)
    app.dependency_overrides[reference.get_db] = other_session
    try:
        yield app
    finally:
        if before is None:
            app.dependency_overrides.pop(reference.get_db, None)
        else:
            app.dependency_overrides[reference.get_db] = before
        shutil.rmtree(folder, ignore_errors=True)


@rule(
    "di-1",
    hint=(
        "A test that overrides `get_db` writes a book and reads it back through the sessions "
        "it hands in: every route, reads and writes, must take its session from `get_db`."
    ),
)
def test_writes_and_reads_through_an_overridden_session(start_learner_app, reference):
    """with `get_db` overridden, new books and reads interleaved get the reference's answers"""
    overrides = {"get_db": {"kind": "session", "url": "{other_database_url}"}}
    stack = contextlib.ExitStack()

    def new_pair():
        app = stack.enter_context(_reference_on_other_books(reference))
        return Played(
            start_learner_app,
            {"1": app},
            overrides=overrides,
            why="(`get_db` overridden: sessions on another database, in both apps)",
        )

    with stack:
        play_machine(
            new_pair,
            book_steps,
            restarts=0,
            first=[
                WRITTEN,
                {"method": "GET", "url": "/books/4"},
                {"method": "GET", "url": "/books"},
            ],
        )


@rule("di-1", hint="The limits on a new book's title and author stay where the exercise sets them.")
def test_limits_are_the_reference_limits(learner_client, reference_client, reference_contract):
    """titles and authors at the edges of their declared lengths get the reference's verdicts"""
    expect_same_at_the_edges(
        learner_client, reference_client, reference_contract, "POST", "/books",
        body={"title": "Edge", "author": "Rim"},
    )  # fmt: skip
