"""Sequences played to the learner's app and the reference: restarts replay every earlier run
as lifespan cycles, overrides can keep one object, and the code readings lesson 04-05's
checks use (lifespans in the deprecated form, sessions a dependency never closes)."""

import asyncio
import types
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI, Request
from hypothesis import strategies as st

from autograder.engine.checkkit import CheckFailed
from autograder.engine.clients import InProcessClient
from autograder.engine.lifespans import undecorated_lifespans
from autograder.engine.sequences import RESTART, Played, play_machine
from autograder.engine.sessions import sessions_never_closed
from workbook.host import overrides
from workbook.host.apps import run_lifespans


def _counter_app(kept: list[int] | None = None) -> FastAPI:
    """Counts POSTs per lifespan run; with ``kept``, in one list for every run (the bug)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, list[int]]]:
        yield {"seen": kept if kept is not None else []}

    app = FastAPI(lifespan=lifespan)

    @app.post("/count")
    async def count(request: Request) -> dict[str, int]:
        request.state.seen.append(1)
        return {"count": len(request.state.seen)}

    @app.get("/count")
    async def read(request: Request) -> dict[str, int]:
        return {"count": len(request.state.seen)}

    return app


def test_lifespan_cycles_send_each_run_its_own_requests_in_order():
    seen: list[tuple[str, str]] = []
    app = FastAPI()

    @app.api_route("/{name}", methods=["GET", "POST"])
    async def record(name: str, request: Request) -> dict[str, str]:
        seen.append((request.method, name))
        return {}

    plays = [
        [{"method": "POST", "url": "/a", "json": {}}, {"method": "GET", "url": "/b"}],
        [{"method": "GET", "url": "/c", "params": {"x": 1}}],
    ]
    errors = asyncio.run(run_lifespans(app, len(plays), "/unused", plays))
    assert errors == []
    assert seen == [("POST", "a"), ("GET", "b"), ("GET", "c")]


def test_an_override_that_keeps_hands_out_one_object():
    @dataclass
    class Book:
        discount: int = 0

    module = types.SimpleNamespace(Book=Book)
    kept = overrides._replacement(module, {"kind": "model", "class": "Book", "keep": True})
    assert kept() is kept()
    fresh = overrides._replacement(module, {"kind": "model", "class": "Book"})
    assert fresh() is not fresh()


@dataclass
class _Started:
    client: InProcessClient

    def stop(self) -> str:
        self.client.close()
        return ""


class _LearnerStarts:
    """Plays start_learner_app with an in-process app: replays the cycles it is handed the way
    the host does (one lifespan run per item, its requests in order), then serves."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.cycles: list[Any] = []

    def __call__(self, overrides_: Any = None, lifespan_cycles: Any = None) -> _Started:
        self.cycles.append(lifespan_cycles)
        if lifespan_cycles:
            plays = lifespan_cycles["requests"]
            asyncio.run(run_lifespans(self.app, len(plays), "/", plays))
        return _Started(InProcessClient(self.app).start())


POST = {"method": "POST", "url": "/count"}
GET = {"method": "GET", "url": "/count"}


def test_a_restart_replays_every_earlier_run_and_answers_are_compared():
    starts = _LearnerStarts(_counter_app())
    pair = Played(starts, {"1": _counter_app()})
    pair.send(POST)
    pair.send(POST)
    pair.restart()
    pair.send(GET)  # a new run: both count 0
    pair.restart()
    pair.close()
    assert starts.cycles[0] is None
    assert starts.cycles[1] == {"count": 1, "requests": [[POST, POST]]}
    assert starts.cycles[2] == {"count": 2, "requests": [[POST, POST], [GET]]}


def test_state_kept_across_a_restart_fails_naming_the_restart():
    starts = _LearnerStarts(_counter_app(kept=[]))
    pair = Played(starts, {"1": _counter_app()})
    pair.send(POST)
    pair.restart()
    with pytest.raises(CheckFailed, match=r"GET /count after POST /count; restart: your app"):
        pair.send(GET)
    pair.close()


def test_play_machine_plays_the_written_sequence_first():
    starts = _LearnerStarts(_counter_app(kept=[]))
    with pytest.raises(CheckFailed, match="restart"):
        play_machine(
            lambda: Played(starts, {"1": _counter_app()}),
            st.just(GET),
            first=[POST, RESTART, GET],
        )
    assert starts.cycles[:2] == [None, {"count": 1, "requests": [[POST]]}]


def test_lifespans_in_the_deprecated_form_are_found():
    source = (
        "from contextlib import asynccontextmanager\n"
        "import contextlib\n"
        "from fastapi import FastAPI\n"
        "async def plain(app):\n    yield\n"
        "@asynccontextmanager\nasync def decorated(app):\n    yield\n"
        "@contextlib.asynccontextmanager\nasync def dotted(app):\n    yield\n"
        "a = FastAPI(lifespan=plain)\nb = FastAPI(lifespan=decorated)\n"
        "c = FastAPI(lifespan=dotted)\n"
    )
    assert undecorated_lifespans(source) == [(4, "plain")]
    assert undecorated_lifespans("this is not python(") == []


def test_a_session_returned_by_a_dependency_is_never_closed():
    head = (
        "from typing import Annotated\nfrom fastapi import Depends\n"
        "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker\n"
    )
    returned = head + (
        "def get_db():\n    return AsyncSession(engine)\n"
        "def route(s: Annotated[AsyncSession, Depends(get_db)]): ...\n"
    )
    assert sessions_never_closed(returned) == [(4, "get_db")]
    yielded = head + (
        "async def get_db():\n    async with AsyncSession(engine) as s:\n        yield s\n"
        "def route(s: Annotated[AsyncSession, Depends(get_db)]): ...\n"
    )
    assert sessions_never_closed(yielded) == []
    # A factory that returns a generator dependency: the session is opened (and closed) in it.
    from_a_factory = head + (
        "def session_for(engine):\n"
        "    async def dependency():\n"
        "        async with AsyncSession(engine) as s:\n            yield s\n"
        "    return dependency\n"
        "def route(s: Annotated[AsyncSession, Depends(session_for(engine))]): ...\n"
    )
    assert sessions_never_closed(from_a_factory) == []
    # A helper that opens a session for a dependency to yield is not a dependency itself.
    helper = head + (
        "def make():\n    return AsyncSession(engine)\n"
        "async def get_db():\n    async with make() as s:\n        yield s\n"
        "def route(s: Annotated[AsyncSession, Depends(get_db)]): ...\n"
    )
    assert sessions_never_closed(helper) == []
