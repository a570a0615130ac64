"""How a burst's timing becomes a verdict: noise gets another try, a blocked loop does not."""

import time
from collections.abc import Sequence
from typing import Any

import httpx

from autograder.engine import checkkit
from autograder.engine.clients import TimedResponse
from workbook.upstreams import FakeServices, Observed


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


# --- the fake service the burst waits for, as a second witness ---------------------------------


class WitnessedClient(ScriptedClient):
    """Each burst also leaves visits at a fake service: ``in_flight`` of them at once."""

    def __init__(self, single, bursts, observed: Observed, in_flight: int) -> None:
        super().__init__(single, bursts)
        self.observed = observed
        self.in_flight = in_flight

    def concurrently(self, requests):
        waiting = [self.observed.request(f"GET /profiles/{n}") for n in range(self.in_flight)]
        for visit in waiting:
            visit.finished = time.monotonic() + 1
        return super().concurrently(requests)


def witnessed(bursts, in_flight, monkeypatch) -> tuple[checkkit.Overlap, int]:
    observed = Observed()
    client = WitnessedClient(0.013, bursts, observed, in_flight)
    clock = iter(x * 0.013 for x in range(100))
    monkeypatch.setattr(checkkit.time, "perf_counter", lambda: next(clock))
    witness = checkkit.UpstreamWitness("the profile service", observed)
    overlap = checkkit.measure_overlap(client, [("GET", "/", {})] * 20, upstream=witness)
    return overlap, client.bursts_sent


def test_a_burst_slowed_by_a_busy_machine_is_free_when_the_service_saw_several_waiting(
    monkeypatch,
):
    # Seen in CI: 20 requests of 13 ms in 243 ms; the timing alone says "one after another".
    overlap, bursts = witnessed([0.243], in_flight=5, monkeypatch=monkeypatch)
    assert overlap.timed_serially
    assert not overlap.serialised
    assert bursts == 1


def test_a_service_that_never_saw_two_at_once_confirms_a_blocked_loop(monkeypatch):
    overlap, _ = witnessed([0.260, 0.255, 0.270, 0.262], in_flight=1, monkeypatch=monkeypatch)
    assert overlap.serialised
    assert "The profile service never had two of them in flight at once." in overlap.describe(
        "profile requests"
    )


def test_the_service_counts_different_requests_in_flight_since_a_moment():
    observed = Observed()
    before = observed.request("GET /profiles/0")
    before.finished = time.monotonic() + 10  # still in flight, but it arrived before
    since = time.monotonic()
    first = observed.request("GET /profiles/1")
    same_again = observed.request("GET /profiles/1")  # one request asking twice counts once
    assert observed.most_in_flight(since) == 1
    second = observed.request("GET /profiles/2")  # arrives while the first is still served
    assert observed.most_in_flight(since) == 2
    for visit in (first, same_again, second):
        visit.finished = time.monotonic()
    third = observed.request("GET /profiles/3")  # after both were answered: one at a time
    third.finished = time.monotonic()
    assert observed.most_in_flight(since) == 2
    assert observed.most_in_flight(time.monotonic()) == 0


def test_requests_to_one_url_are_told_apart_by_subject_and_decoys_do_not_count():
    observed = Observed()
    since = time.monotonic()
    first = observed.request("POST /v1/chat/completions")
    first.subject = "sent by the check 1"
    decoy = observed.request("POST /v1/chat/completions")  # invented by the answer itself
    decoy.subject = "made up"
    assert observed.most_in_flight(since) == 2
    assert (
        observed.most_in_flight(since, subjects={"sent by the check 1", "sent by the check 2"}) == 1
    )
    second = observed.request("POST /v1/chat/completions")
    second.subject = "sent by the check 2"
    assert (
        observed.most_in_flight(since, subjects={"sent by the check 1", "sent by the check 2"}) == 2
    )


def test_the_model_provider_notes_each_message_as_the_subject_of_its_visit():
    services = FakeServices().start()
    try:
        payload = {"messages": [{"role": "user", "content": "hello there"}], "stream": True}
        with httpx.Client(base_url=services.url("llm")) as client:
            client.post("/v1/chat/completions", json=payload).raise_for_status()
        [visit] = services.observed["llm"].visits
        assert (visit.line, visit.subject) == ("POST /v1/chat/completions", "hello there")
        # The service notes the finish once its app returns, which can be just after the
        # client has read the last byte.
        deadline = time.monotonic() + 5
        while visit.finished is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert visit.finished is not None
    finally:
        services.close()


# --- a loop that stood still during one request ------------------------------------------------


class StallingClient:
    """Answers 200; each probed request reports the next scripted (stall, duration)."""

    def __init__(self, probed: Sequence[tuple[float, float]]) -> None:
        self.probed = list(probed)
        self.probed_requests = 0

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return httpx.Response(200)

    def loop_lag_during(self, method: str, url: str, **kwargs: Any):
        stall, seconds = self.probed[self.probed_requests]
        self.probed_requests += 1
        return httpx.Response(200), stall, seconds


def test_a_stall_once_is_the_machine_and_is_tried_again():
    client = StallingClient([(0.060, 0.090), (0.004, 0.085)])
    _, stall, seconds = checkkit.loop_stall(client, "POST", "/keys/derive")
    assert client.probed_requests == 2
    assert not checkkit.stalled(stall, seconds)


def test_a_loop_that_stalls_on_every_try_is_stalled():
    client = StallingClient([(0.080, 0.090), (0.085, 0.092), (0.079, 0.088)])
    _, stall, seconds = checkkit.loop_stall(client, "POST", "/keys/derive")
    assert client.probed_requests == 3
    assert checkkit.stalled(stall, seconds)
    assert stall == 0.080  # the try that stalled least, for its share of the request


def test_a_free_loop_is_measured_once():
    client = StallingClient([(0.003, 0.090), (0.080, 0.090)])
    checkkit.loop_stall(client, "POST", "/keys/derive")
    assert client.probed_requests == 1
