"""How a burst's timing becomes a verdict: noise gets another try, a blocked loop does not."""

from collections.abc import Sequence
from typing import Any

import httpx

from autograder.engine import checkkit
from autograder.engine.clients import TimedResponse


class ScriptedClient:
    """Answers every request with 200; each burst takes the next scripted wall time."""

    def __init__(self, single: float, bursts: Sequence[float]) -> None:
        self.single = single
        self.bursts = list(bursts)
        self.bursts_sent = 0

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return httpx.Response(200)

    def concurrently(self, requests: Sequence[tuple[str, str, dict[str, Any]]]):
        wall = self.bursts[self.bursts_sent]
        self.bursts_sent += 1
        return [TimedResponse(httpx.Response(200), wall) for _ in requests], wall


def measure(single: float, bursts: Sequence[float], monkeypatch) -> tuple[checkkit.Overlap, int]:
    client = ScriptedClient(single, bursts)
    clock = iter(x * single for x in range(100))  # every single request takes `single`
    monkeypatch.setattr(checkkit.time, "perf_counter", lambda: next(clock))
    overlap = checkkit.measure_overlap(client, [("GET", "/", {})] * 10)
    return overlap, client.bursts_sent


def test_a_burst_far_slower_than_a_blocked_loop_is_noise_and_is_tried_again(monkeypatch):
    # 10 requests of 12 ms: a blocked loop takes about 120 ms; 490 ms is the machine, not the app.
    overlap, bursts = measure(0.012, [0.490, 0.030], monkeypatch)
    assert bursts == 2
    assert not overlap.serialised


def test_a_burst_as_slow_as_a_blocked_loop_is_decided_at_once(monkeypatch):
    overlap, bursts = measure(0.012, [0.118, 0.030], monkeypatch)
    assert bursts == 1
    assert overlap.serialised


def test_a_loop_that_stays_slow_on_every_try_is_serialised(monkeypatch):
    overlap, bursts = measure(0.012, [0.490, 0.400, 0.450, 0.300], monkeypatch)
    assert bursts == 4
    assert overlap.serialised
    assert overlap.together == 0.300


def test_a_free_loop_is_decided_at_once(monkeypatch):
    overlap, bursts = measure(0.012, [0.020, 0.500], monkeypatch)
    assert bursts == 1
    assert not overlap.serialised
