"""What lesson 04's checks stand on: the seeded library, overrides applied in the answer
process, and WB301 for secrets under any name."""

import sqlite3
import types

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from autograder.engine.source_rules import findings, secret_literals
from workbook.databases import OTHER_BOOKS, create_library, token_hash
from workbook.host import overrides


def test_a_library_has_its_rows_and_fresh_tokens_stored_as_hashes(tmp_path):
    first = create_library(tmp_path / "a.sqlite3")
    second = create_library(tmp_path / "b.sqlite3")
    assert first.rows("SELECT count(*) FROM books") == [(6,)]
    assert first.tokens != second.tokens  # an app can only know them by looking them up
    stored = {row[0] for row in first.rows("SELECT token_hash FROM tokens")}
    assert stored == {token_hash(token) for token in first.tokens.values()}
    assert not set(first.tokens.values()) & stored


def test_rows_are_read_without_writing(tmp_path):
    library = create_library(tmp_path / "library.sqlite3", books=OTHER_BOOKS)
    assert library.rows("SELECT title FROM books WHERE id = ?", (1,)) == [
        ("Substitution in Practice",)
    ]
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        library.rows("DELETE FROM books")


class Settings(BaseModel):
    name: str = "real"


def get_settings() -> Settings:
    return Settings()


def answer_module() -> tuple[FastAPI, types.ModuleType]:
    module = types.ModuleType("answer")
    app = FastAPI()

    @app.get("/name")
    async def name(settings: Settings = Depends(get_settings)) -> str:  # noqa: FAST002, B008
        return settings.name

    module.app, module.get_settings, module.Settings = app, get_settings, Settings
    return app, module


def test_an_override_replaces_the_named_dependency():
    app, module = answer_module()
    spec = {"kind": "settings", "class": "Settings", "values": {"name": "swapped"}}
    overrides.apply(app, module, {"get_settings": spec})
    with TestClient(app) as client:
        assert client.get("/name").json() == "swapped"


def test_a_missing_dependency_says_what_to_define():
    app, module = answer_module()
    with pytest.raises(overrides.OverrideError, match="must define the dependency `get_db`"):
        overrides.apply(app, module, {"get_db": {"kind": "session", "url": "sqlite+aiosqlite://"}})


def test_a_missing_class_says_what_to_define():
    app, module = answer_module()
    with pytest.raises(overrides.OverrideError, match="must define the class `Member`"):
        overrides.apply(app, module, {"get_settings": {"kind": "model", "class": "Member"}})


@pytest.mark.parametrize(
    "line",
    [
        'LINK_SIGNING_KEY = "lsk_live_7Hq2Zr9Xc4Vb8Nm1"',
        'stripe_api_key: str = "sk_test_51Habcdefghijk"',
        'key = SecretStr("0123456789abcdef")',
        'client = Client(secret_token="0123456789abcdef")',
    ],
)
def test_a_secret_under_any_name_is_found(line):
    assert [f.code for f in findings(line)] == ["WB301"]
    assert len(secret_literals(line)) == 1


@pytest.mark.parametrize(
    "line",
    [
        'library_name_key = "The City Library"',  # spaces: a sentence, not a secret
        'token_url = "/token"',  # too short to be a secret
        'key = os.environ["LINK_SIGNING_KEY"]',  # read from the environment
        'title = "lsk_live_7Hq2Zr9Xc4Vb8Nm1"',  # not named like a secret
    ],
)
def test_what_is_not_a_secret_is_left_alone(line):
    assert findings(line) == []


def test_a_database_swapped_for_a_link_is_not_read(tmp_path):
    from workbook.databases import DatabaseReplaced

    library = create_library(tmp_path / "library.sqlite3")
    elsewhere = create_library(tmp_path / "elsewhere.sqlite3", books=OTHER_BOOKS)
    library.path.unlink()
    library.path.symlink_to(elsewhere.path)  # what an app could do to its own database file
    with pytest.raises(DatabaseReplaced, match="replaced it"):
        library.rows("SELECT count(*) FROM books")
