"""The answer host's movable clock: a check request moves the answer's time.time() and
time.monotonic() forward (never back), the app never sees the header that does it, and the
`limits` library's moving window (what lesson 06's reference counts with) follows it."""

import time

import pytest

from autograder.engine.answers import AnswerHost, AnswerSpec
from autograder.engine.clients import AnswerClient
from autograder.engine.timeline import Timeline
from workbook.host.clock import CLOCK_HEADER

CLOCKS = """
import asyncio
import time
from time import monotonic

from fastapi import FastAPI, Request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

app = FastAPI()
limiter = MovingWindowRateLimiter(MemoryStorage())
TWO_PER_TEN_SECONDS = parse("2/10 seconds")


@app.get("/clocks")
async def clocks(request: Request) -> dict[str, object]:
    return {
        "time": time.time(),
        "monotonic": time.monotonic(),
        "bound_at_import": monotonic(),
        "loop": asyncio.get_running_loop().time(),
        "headers": sorted(request.headers),
    }


@app.get("/limited")
def limited() -> dict[str, bool]:
    return {"allowed": limiter.hit(TWO_PER_TEN_SECONDS, "one client")}
"""


@pytest.fixture
def clocks_client():
    host = AnswerHost().start()
    host.wait_ready()
    answer = host.start_answer(AnswerSpec("clock-demo", source=CLOCKS))
    assert answer.wait_until_serving(20), answer.report.load_error
    client = AnswerClient(str(answer.socket_path), answer.report)
    yield client
    client.close()
    answer.stop()
    host.close()


def test_a_check_request_moves_every_clock_forward_and_the_app_never_sees_the_header(
    clocks_client,
):
    before = clocks_client.get("/clocks").json()
    assert abs(before["time"] - time.time()) < 5  # the real clock until a check moves it
    moved = clocks_client.get("/clocks", headers={CLOCK_HEADER: "3600"}).json()
    for clock in ("time", "monotonic", "bound_at_import", "loop"):
        assert 3600 <= moved[clock] - before[clock] < 3605, clock
    assert CLOCK_HEADER not in moved["headers"]
    back = clocks_client.get("/clocks", headers={CLOCK_HEADER: "10"}).json()
    assert back["monotonic"] >= moved["monotonic"]  # never back: monotonic stays monotonic
    assert clocks_client.get("/clocks", headers={CLOCK_HEADER: "soon"}).status_code == 200


def test_a_moving_window_follows_the_moved_clock(clocks_client):
    timeline = Timeline(clocks_client)
    allowed = [timeline.request(at, "GET", "/limited").json()["allowed"] for at in (0, 0, 0, 9.5)]
    assert allowed == [True, True, False, False]  # two in any ten seconds
    assert timeline.request(10.0, "GET", "/limited").json()["allowed"]  # the first two left
    with pytest.raises(ValueError, match="only moves forward"):
        timeline.request(5.0, "GET", "/limited")
