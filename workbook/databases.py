"""The library's SQLite database, as lesson 04's apps find it: schema, seed rows, tokens.

Checks create a fresh copy for every app they start (the learner's and the reference each get
their own), so two runs never share rows, and read what the app left behind afterwards. The
lesson's demos create one the same way. Tokens are random per database: an app can only know
them by looking them up, as a real one would.

Plain ``sqlite3`` here: seeding and reading happen outside any event loop, in the checks'
process; the apps themselves use SQLAlchemy's async engine with aiosqlite.

The app wrote the file the checks read back, so the checks read it as untrusted input
(``LibraryDatabase.rows``): a private copy of the file (and of its write-ahead log), taken
without following links and capped in size, opened read-only; its schema compared with the
seeded one before any query (a view or a trigger the app planted, or a table it changed, would
run SQL of the app's choosing inside the checks); every statement under a time limit, enforced
by SQLite's progress handler; and the rows a query returns capped.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import stat
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass, field
from functools import cache
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


# What the checks read back. The seeded files are ~150 KB and the checks' queries return at most
# the large shelf (1,506 rows); a statement takes milliseconds.
MAX_DATABASE_BYTES = 32 * 1024 * 1024
MAX_ROWS = 20_000
MAX_VALUE_BYTES = 64 * 1024  # SQLite's own cap on one string or blob while reading
STATEMENT_SECONDS = 2.0
PROGRESS_EVERY = 1000  # SQLite virtual-machine steps between looks at the clock
# Copied with the database: committed rows of an app in WAL mode live in its log until a
# checkpoint. Its shared-memory index is rebuilt in the copy's folder, never opened in the app's.
WAL_SUFFIX = "-wal"


def token_hash(token: str) -> str:
    """How the tokens table stores a token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


class DatabaseReplaced(Exception):
    """The file a check reads is not the one it created."""

    hint = (
        "Let the app change rows only, through its session: no new tables, views or triggers, "
        "and never the database file itself."
    )


class DatabaseTampered(DatabaseReplaced):
    """The file is the one the checks created, but what is in it cannot be read as the seeded
    library: another schema, a statement that never ends, too much data."""


@cache
def seeded_schema() -> frozenset[tuple[str, str, str, str | None]]:
    """Every object ``SCHEMA`` creates, as ``sqlite_master`` lists it."""
    with closing(sqlite3.connect(":memory:")) as connection:
        connection.executescript(SCHEMA)
        return frozenset(connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))


def _copy_untrusted(folder_fd: int, name: str, target: Path, budget: int) -> int:
    """Copy ``name`` from the app's folder to ``target`` without following a link; return
    the bytes copied (0 if there is no such file). Anything but a regular file, or more than
    ``budget`` bytes, is refused."""
    try:
        source = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder_fd)
    except FileNotFoundError:
        return 0
    except OSError as error:
        raise DatabaseReplaced(
            f"{name} could not be opened as a plain file ({error.strerror}): the app replaced "
            "it with a link or something else."
        ) from None
    with open(source, "rb") as reading:
        found = os.fstat(reading.fileno())
        if not stat.S_ISREG(found.st_mode):
            raise DatabaseReplaced(f"{name} is no longer a plain file: the app replaced it.")
        with open(target, "wb") as writing:
            copied = 0
            while chunk := reading.read(1024 * 1024):
                copied += len(chunk)
                if copied > budget:
                    raise DatabaseTampered(
                        f"the app's database grew beyond {MAX_DATABASE_BYTES // 1024 // 1024} "
                        "MB (it was seeded with about 150 KB); the checks did not read it."
                    )
                writing.write(chunk)
    return copied


def _schema_changes(connection: sqlite3.Connection) -> list[str]:
    """How the file's schema differs from the seeded one, object by object."""

    def by_object(rows: Any) -> dict[tuple[str, str], tuple[str, str | None]]:
        return {(kind, name): (table, sql) for kind, name, table, sql in rows}

    found = by_object(connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
    seeded = by_object(seeded_schema())
    changes = []
    for kind, name in sorted(found.keys() | seeded.keys()):
        shown = name if len(name) <= 40 else name[:39] + "…"
        if (kind, name) not in seeded:
            changes.append(f"a {kind} `{shown}` was added")
        elif (kind, name) not in found:
            changes.append(f"the {kind} `{shown}` was dropped")
        elif found[kind, name] != seeded[kind, name]:
            changes.append(f"the {kind} `{shown}` was changed")
    return changes


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
        """Rows read back, read-only, as they are on disk now (see the module's docstring)."""
        if self.path.is_symlink() or self.path.resolve() != (self.real_path or self.path):
            raise DatabaseReplaced(
                f"{self.path.name} is no longer the database the checks created: the app "
                "replaced it (or its folder) with a link."
            )
        with tempfile.TemporaryDirectory(prefix="workbook-read-") as private:
            copy = Path(private) / self.path.name
            self._snapshot(copy)
            try:
                return _read(copy, self.path.name, sql, parameters)
            except sqlite3.DatabaseError as error:
                if getattr(error, "sqlite_errorname", "").startswith("SQLITE_READONLY"):
                    raise  # the check tried to write: its own mistake, not the app's
                raise DatabaseTampered(
                    f"{self.path.name} could not be read as the library the checks seeded "
                    f"(SQLite said: {error}); the app damaged the file."
                ) from None

    def _snapshot(self, copy: Path) -> None:
        """The database and its write-ahead log as they are now, copied to ``copy``."""
        folder = self.real_path.parent if self.real_path else self.path.parent
        folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            name = self.path.name
            copied = _copy_untrusted(folder_fd, name, copy, MAX_DATABASE_BYTES)
            if not copied:
                raise DatabaseReplaced(f"{name} is gone: the app deleted or emptied it.")
            wal = name + WAL_SUFFIX
            _copy_untrusted(folder_fd, wal, copy.with_name(wal), MAX_DATABASE_BYTES - copied)
        finally:
            os.close(folder_fd)


def _read(copy: Path, name: str, sql: str, parameters: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """One query on the private copy: schema first, then the statement, both timed."""
    with closing(sqlite3.connect(f"file:{copy}?mode=ro", uri=True, timeout=1)) as connection:
        # The schema may not call functions of the app's choosing; damaged pages are caught
        # on reading; no value larger than any the library holds is built in memory.
        connection.execute("PRAGMA trusted_schema = OFF")
        connection.execute("PRAGMA cell_size_check = ON")
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        deadline = time.monotonic() + STATEMENT_SECONDS
        connection.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_EVERY)
        try:
            changes = _schema_changes(connection)
            if changes:
                raise DatabaseTampered(
                    f"{name} no longer has the library's schema: {'; '.join(changes[:4])}. "
                    "The checks read only the seeded tables and never run the app's own SQL."
                )
            deadline = time.monotonic() + STATEMENT_SECONDS
            cursor = connection.execute(sql, parameters)
            found = cursor.fetchmany(MAX_ROWS + 1)
        except sqlite3.OperationalError as error:
            if "interrupt" not in str(error):
                raise
            raise DatabaseTampered(
                f"reading {name} took longer than {STATEMENT_SECONDS:g} s (a query the checks "
                "run in milliseconds on the seeded library); the checks stopped it."
            ) from None
        if len(found) > MAX_ROWS:
            raise DatabaseTampered(
                f"{name} answered a check's query with more than {MAX_ROWS} rows (the seeded "
                "library has at most 1,506 books); the app filled it with rows of its own."
            )
        return found


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
