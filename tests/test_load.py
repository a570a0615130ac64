"""The load generator lesson 06's demo and `make bench` use."""

import asyncio

from fastapi import FastAPI

from workbook.load import measure_load


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
