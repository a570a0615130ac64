"""Several apps from one factory in one answer process, and lifespans run again and again:
what lesson 05's checks observe from outside."""

import time

import pytest

from autograder.engine.answers import AnswerHost, AnswerSpec
from autograder.engine.clients import AnswerClient
from workbook.host.protocol import APP_CHOICE_HEADER
from workbook.upstreams import FakeServices

FACTORY = """
import os
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request

NOTES_IN_A_GLOBAL: list[str] = []
LEAKED: list[httpx.AsyncClient] = []


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if os.environ.get("LEAK") == "yes":
            client = httpx.AsyncClient(base_url=os.environ["PROFILES"])
            LEAKED.append(client)  # opened, never closed
            yield {"notes": [], "profiles": client}
        else:
            async with httpx.AsyncClient(base_url=os.environ["PROFILES"]) as client:
                yield {"notes": [], "profiles": client}

    app = FastAPI(lifespan=lifespan)

    @app.post("/notes")
    async def add(request: Request, text: str) -> dict[str, int]:
        request.state.notes.append(text)
        NOTES_IN_A_GLOBAL.append(text)
        return {"here": len(request.state.notes), "global": len(NOTES_IN_A_GLOBAL)}

    @app.get("/profile")
    async def profile(request: Request) -> dict[str, int]:
        response = await request.state.profiles.get("/profiles/1")
        return {"status": response.status_code}

    return app
"""


@pytest.fixture
def host_and_services():
    services = FakeServices().start()
    host = AnswerHost().start()
    host.wait_ready()
    yield host, services
    host.close()
    services.close()


def started(host, services, *, copies=1, leak=False, cycles=None):
    spec = AnswerSpec(
        "state-demo",
        source=FACTORY,
        factory="create_app",
        copies=copies,
        env={"PROFILES": services.url("profile"), "LEAK": "yes" if leak else "no"},
        lifespan_cycles=cycles or {},
    )
    answer = host.start_answer(spec)
    assert answer.wait_until_serving(20), answer.report.load_error
    return answer, AnswerClient(str(answer.socket_path), answer.report)


def test_two_apps_from_one_factory_are_picked_by_a_header(host_and_services):
    host, services = host_and_services
    answer, client = started(host, services, copies=2)
    try:
        first = client.post("/notes", params={"text": "a"}).json()
        second = client.post("/notes", params={"text": "b"}, headers={APP_CHOICE_HEADER: "2"})
        # Lifespan state is each app's own; the module global is shared by both.
        assert first == {"here": 1, "global": 1}
        assert second.json() == {"here": 1, "global": 2}
    finally:
        client.close()
        answer.stop()


def wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.01)
    return condition()


@pytest.mark.parametrize(("leak", "left_open"), [(True, 3), (False, 0)])
def test_lifespan_cycles_show_the_connections_a_client_leaves_open(
    host_and_services, leak, left_open
):
    host, services = host_and_services
    services.reset()
    observed = services.observed["profile"]
    answer, client = started(host, services, leak=leak, cycles={"count": 3, "path": "/profile"})
    try:
        assert observed.connections == 3  # one client per lifespan, one connection each
        assert wait_for(lambda: observed.open_connections == left_open)
    finally:
        client.close()
        answer.stop()
