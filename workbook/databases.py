"""The library's SQLite database, as lesson 04's apps find it: schema, seed rows, tokens.

Checks create a fresh copy for every app they start (the learner's and the reference each get
their own), so two runs never share rows, and read what the app left behind afterwards. The
lesson's demos create one the same way. Tokens are random per database: an app can only know
them by looking them up, as a real one would.

Plain ``sqlite3`` here: seeding and reading happen outside any event loop, in the checks'
process; the apps themselves use SQLAlchemy's async engine with aiosqlite.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('member', 'librarian'))
);
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id)
);
CREATE TABLE books (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    author TEXT NOT NULL,
    shelf TEXT NOT NULL CHECK (shelf IN ('public', 'staff'))
);
CREATE TABLE loans (
    id INTEGER PRIMARY KEY,
    book_id INTEGER NOT NULL REFERENCES books(id),
    member_id INTEGER NOT NULL REFERENCES members(id),
    due TEXT NOT NULL
);
"""

MEMBERS = [
    (1, "Ada", "ada@library.test", "librarian"),
    (2, "Grace", "grace@library.test", "member"),
    (3, "Linus", "linus@library.test", "member"),
]
BOOKS = [
    (1, "The Analytical Engine", "Ada Lovelace", "public"),
    (2, "Compilers for Everyone", "Grace Hopper", "public"),
    (3, "A Tale of Two Kernels", "Linus Torvalds", "public"),
    (4, "Engines of Logic", "Martin Davis", "public"),
    (5, "Staff Rota and Door Codes", "Front Desk", "staff"),
    (6, "Member Complaints 2031", "Front Desk", "staff"),
]
# What a second database holds instead: an app that answers with these used the session it was
# given, not one it opened itself.
OTHER_BOOKS = [
    (1, "Substitution in Practice", "Override Press", "public"),
    (2, "Injected Dependencies", "Override Press", "public"),
    (3, "Closed Stacks", "Override Press", "staff"),
]
# A shelf large enough that answering all of it at once costs: lesson 06's pagination.
LARGE_BOOKS = BOOKS + [
    (n, f"Volume {n}", f"Author {n % 97}", "staff" if n % 50 == 0 else "public")
    for n in range(7, 1507)
]
SHELVES = {"library": BOOKS, "library-large": LARGE_BOOKS}
LOANS = [
    (1, 1, 2, "2031-05-01"),
    (2, 3, 2, "2031-05-09"),
    (3, 2, 3, "2031-05-03"),
]


def token_hash(token: str) -> str:
    """How the tokens table stores a token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


class DatabaseReplaced(Exception):
    """The file a check reads is not the one it created."""


@dataclass
class LibraryDatabase:
    """One seeded database file, and the tokens that open it (member id -> bearer token)."""

    path: Path
    tokens: dict[int, str] = field(default_factory=dict)
    # Where the file really is, as created: an app that swaps it (or its folder) for a link
    # must not make the checks read some other file of this machine.
    real_path: Path | None = None

    def headers_for(self, caller: int | str | None) -> dict[str, str]:
        """Request headers for ``caller``: a member id, "unknown" (a token never issued) or
        None (no token at all)."""
        if caller is None:
            return {}
        token = "never-issued" if caller == "unknown" else self.tokens[int(caller)]
        return {"Authorization": f"Bearer {token}"}

    @property
    def url(self) -> str:
        """SQLAlchemy's URL for it, with the async driver the lessons use."""
        return f"sqlite+aiosqlite:///{self.path}"

    def rows(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows read back, read-only, as they are on disk now."""
        if self.path.is_symlink() or self.path.resolve() != (self.real_path or self.path):
            raise DatabaseReplaced(
                f"{self.path.name} is no longer the database the checks created: the app "
                "replaced it (or its folder) with a link."
            )
        uri = f"file:{self.path}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=5)) as connection:
            # The app wrote this file: its schema may not run code of its own on reading.
            connection.execute("PRAGMA trusted_schema = OFF")
            return connection.execute(sql, parameters).fetchall()


def create_library(path: Path, *, books: list[tuple[Any, ...]] | None = None) -> LibraryDatabase:
    """A fresh library at ``path`` (replacing any file there), with new random tokens."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    database = LibraryDatabase(path, real_path=path.resolve())
    with closing(sqlite3.connect(path)) as connection:
        connection.executescript(SCHEMA)
        connection.executemany("INSERT INTO members VALUES (?, ?, ?, ?)", MEMBERS)
        connection.executemany("INSERT INTO books VALUES (?, ?, ?, ?)", books or BOOKS)
        connection.executemany("INSERT INTO loans VALUES (?, ?, ?, ?)", LOANS)
        for member_id, *_ in MEMBERS:
            token = secrets.token_urlsafe(18)
            database.tokens[member_id] = token
            connection.execute("INSERT INTO tokens VALUES (?, ?)", (token_hash(token), member_id))
        connection.commit()
    return database
