"""The load generator lesson 06's demo and `make bench` use."""

import asyncio
import time

import httpx
import pytest
from fastapi import FastAPI

from workbook.load import _run, measure_load, served


def tiny_app() -> FastAPI:
    app = FastAPI()

    @app.get("/hello")
    async def hello() -> str:
        await asyncio.sleep(0.001)
        return "hello"

    return app


def test_the_load_is_sent_counted_and_timed():
    result = measure_load(tiny_app(), "/hello", requests=60, concurrency=6, time_limit=20)
    assert result.requests == 60
    assert result.statuses == {200: 60}
    assert 0 < result.p50 <= result.p99 <= max(result.latencies)
    assert result.per_second > 0
    assert result.describe().endswith(" ms")


def test_it_also_runs_where_an_event_loop_is_already_running():
    async def from_a_notebook_cell():
        return measure_load(tiny_app(), "/hello", requests=10, concurrency=2)

    assert asyncio.run(from_a_notebook_cell()).requests == 10


def test_the_time_limit_bounds_the_run():
    app = FastAPI()

    @app.get("/slow")
    async def slow() -> str:
        await asyncio.sleep(0.2)
        return "late"

    result = measure_load(app, "/slow", requests=1000, concurrency=2, time_limit=0.5)
    assert 2 <= result.requests < 20


def test_a_dropped_connection_is_counted_and_the_run_goes_on():
    calls = 0

    async def drops_every_third(scope, receive, send):
        nonlocal calls
        if scope["type"] != "http":
            return
        calls += 1
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]}
        )
        if calls % 3 == 0:
            raise RuntimeError("the connection goes down mid-response")
        await send({"type": "http.response.body", "body": b"hello"})

    result = measure_load(drops_every_third, "/", requests=30, concurrency=3, time_limit=20)
    assert result.errors >= 5
    assert result.requests + result.errors == 30
    assert result.statuses == {200: result.requests}
    assert result.describe().endswith(f", {result.errors} without a response")


def test_a_failure_in_the_clients_reaches_the_caller_from_a_running_loop():
    class LoadFailed(Exception):
        pass

    async def failing_load():
        raise LoadFailed("from the clients' thread")

    async def from_a_notebook_cell():
        return _run(failing_load())

    with pytest.raises(LoadFailed):
        asyncio.run(from_a_notebook_cell())


@pytest.mark.slow
def test_a_connection_idle_longer_than_uvicorns_default_keep_alive_is_still_open():
    # A starved client may reuse a connection after more than uvicorn's default 5 s.
    # httpx's own pool would drop it after 5 s too, so it is told to keep it.
    limits = httpx.Limits(keepalive_expiry=60)
    with served(tiny_app()) as base_url, httpx.Client(base_url=base_url, limits=limits) as client:
        first = client.get("/hello")
        ports = {first.extensions["network_stream"].get_extra_info("client_addr")[1]}
        time.sleep(6)
        second = client.get("/hello")
        ports.add(second.extensions["network_stream"].get_extra_info("client_addr")[1])
        assert len(ports) == 1, "the server closed the idle connection"
