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


# --- request.state as production serves it ------------------------------------------------------

REQUEST_STATE = """
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield {"visits": 0, "seen": []}

    app = FastAPI(lifespan=lifespan)

    @app.get("/visit")
    async def visit(request: Request) -> dict[str, object]:
        request.state.visits += 1  # an assignment: under uvicorn, this request's copy only
        request.state.seen.append("x")  # a mutation of an object every request shares
        request.state.note = "written"
        return {"visits": request.state.visits, "seen": len(request.state.seen)}

    @app.get("/look")
    async def look(request: Request) -> dict[str, object]:
        note = getattr(request.state, "note", None)
        return {"visits": request.state.visits, "seen": len(request.state.seen), "note": note}

    return app


app = create_app()
"""
STATE_REQUESTS = ("/visit", "/visit", "/look")


def answers_from_uvicorn_on_loopback() -> list[dict[str, object]]:
    """The requests answered by the same app under uvicorn on 127.0.0.1, as production runs it."""
    import socket
    import threading

    import httpx
    import uvicorn

    namespace: dict[str, object] = {}
    exec(compile(REQUEST_STATE, "<request-state app>", "exec"), namespace)  # the test's own app
    config = uvicorn.Config(namespace["create_app"](), lifespan="on", log_level="warning")
    server = uvicorn.Server(config)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: server.started, 10), "uvicorn did not start"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            return [client.get(path).json() for path in STATE_REQUESTS]
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()


HOSTED_WAYS = {
    "the module's app": {},
    "one app from the factory": {"factory": "create_app"},
    "the first of two factory copies": {"factory": "create_app", "copies": 2},
    "the second of two factory copies": {"factory": "create_app", "copies": 2, "pick": "2"},
    "after three lifespan cycles": {
        "factory": "create_app",
        "copies": 2,
        "lifespan_cycles": {"count": 3, "path": "/visit"},
    },
}


@pytest.fixture(scope="module")
def uvicorn_answers():
    answers = answers_from_uvicorn_on_loopback()
    # What production does, spelled out: assignments last one request, shared objects grow.
    assert answers == [
        {"visits": 1, "seen": 1},
        {"visits": 1, "seen": 2},
        {"visits": 0, "seen": 2, "note": None},
    ]
    return answers


@pytest.mark.parametrize("way", list(HOSTED_WAYS), ids=list(HOSTED_WAYS))
def test_request_state_writes_behave_as_under_uvicorn(uvicorn_answers, way):
    """Every way the host serves an answer hands each request a shallow copy of the lifespan
    state, as uvicorn does: an answer that assigns to `request.state` loses the value after the
    request, under the checks as in production."""
    options = dict(HOSTED_WAYS[way])
    pick = options.pop("pick", "1")
    host = AnswerHost().start()
    host.wait_ready()
    answer = host.start_answer(AnswerSpec("state-demo", source=REQUEST_STATE, **options))
    try:
        assert answer.wait_until_serving(20), answer.report.load_error
        client = AnswerClient(str(answer.socket_path), answer.report)
        try:
            hosted = [
                client.get(path, headers={APP_CHOICE_HEADER: pick}).json()
                for path in STATE_REQUESTS
            ]
        finally:
            client.close()
    finally:
        answer.stop()
        host.close()
    assert hosted == uvicorn_answers


def test_each_request_gets_a_copy_of_the_lifespan_state_not_the_dict():
    """What uvicorn's protocols do with `scope["state"]` (`app_state.copy()`), checked on the
    scopes themselves: equal to the lifespan's dict, never the same dict, its values shared."""
    import asyncio

    from workbook.host.apps import run_lifespans

    shared = object()
    lifespan_states: list[dict] = []
    request_states: list[dict] = []

    async def raw_app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    scope["state"]["shared"] = shared
                    lifespan_states.append(scope["state"])
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        request_states.append(scope["state"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    assert asyncio.run(run_lifespans(raw_app, 2, "/")) == []
    assert len(request_states) == len(lifespan_states) == 2
    for lifespan_state, request_state in zip(lifespan_states, request_states, strict=True):
        assert request_state is not lifespan_state
        assert request_state == lifespan_state
        assert request_state["shared"] is shared
