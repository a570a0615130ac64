"""Timing rows judge what the answer controls: a machine that starved the checks makes a row
inconclusive (tried again, then graded again), never a failure, and never a pass."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from autograder.classroom import checker
from autograder.engine import checkkit, starvation
from autograder.engine.clients import TimedResponse
from autograder.engine.plugin import CheckPlugin
from autograder.engine.results import CheckResult, ExerciseResult
from autograder.engine.starvation import MachineStarved

BURST = [("GET", "/", {})] * 10


class Clock:
    """The checks' clock and their thread's run-queue wait, both scripted."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waited = 0.0

    def spend(self, seconds: float, waited: float = 0.0) -> None:
        self.now += seconds + waited
        self.waited += waited


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(starvation.time, "perf_counter", lambda: clock.now)
    monkeypatch.setattr(starvation, "waited_seconds", lambda: clock.waited)
    monkeypatch.setattr(starvation, "pause", lambda: None)
    return clock


class ScriptedClient:
    """Singles cost ``single`` (plus the next scripted wait); bursts take the next scripted
    (wall, wait)."""

    def __init__(self, clock: Clock, single: float, bursts, single_waits=()) -> None:
        self.clock, self.single = clock, single
        self.bursts = list(bursts)
        self.single_waits = list(single_waits)
        self.bursts_sent = self.singles_sent = 0

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        waits = self.single_waits
        wait = waits[self.singles_sent] if self.singles_sent < len(waits) else 0.0
        self.singles_sent += 1
        self.clock.spend(self.single, wait)
        return httpx.Response(200)

    def concurrently(self, requests: Sequence[tuple[str, str, dict[str, Any]]]):
        wall, wait = self.bursts[min(self.bursts_sent, len(self.bursts) - 1)]
        self.bursts_sent += 1
        self.clock.spend(wall - wait, wait)
        return [TimedResponse(httpx.Response(200), wall) for _ in requests], wall


def test_a_serial_burst_explained_by_the_machines_wait_is_inconclusive_not_a_failure(clock):
    # 10 requests of 12 ms served together take ~20 ms; here 130 ms, of which the checks
    # waited 115 ms for a CPU: the wait, not the answer, may have serialised it.
    client = ScriptedClient(clock, 0.012, [(0.130, 0.115)])
    with pytest.raises(MachineStarved, match="Inconclusive, not a failure"):
        checkkit.expect_overlap(client, BURST, "report requests")
    assert client.bursts_sent == 1 + starvation.STARVED_RETRIES


def test_a_starved_try_is_tried_again_and_a_quiet_one_decides(clock):
    client = ScriptedClient(clock, 0.012, [(0.130, 0.115), (0.020, 0.0)])
    overlap = checkkit.expect_overlap(client, BURST, "report requests")
    assert client.bursts_sent == 2
    assert not overlap.serialised and not overlap.inconclusive


def test_a_blocked_loop_still_fails_when_the_wait_cannot_explain_the_burst(clock):
    # Served one after another (120 ms of work) and the checks waited 40 ms too: even without
    # the wait, the burst took 0.7 of ten singles and more.
    client = ScriptedClient(clock, 0.012, [(0.160, 0.040)])
    with pytest.raises(checkkit.CheckFailed, match="served one after another"):
        checkkit.expect_overlap(client, BURST, "report requests")


def test_singles_slowed_by_the_machine_never_let_a_blocked_loop_pass(clock):
    # A blocked loop: ten requests of 12 ms take 120 ms. Its singles were timed while the checks
    # waited 12 ms each, so they read 24 ms, and 120 ms looks like half of ten singles.
    client = ScriptedClient(clock, 0.012, [(0.120, 0.0)], single_waits=[0.012] * 100)
    with pytest.raises(MachineStarved):
        checkkit.expect_overlap(client, BURST, "report requests")
    # Once the singles are timed on a quiet machine, it fails.
    client = ScriptedClient(clock, 0.012, [(0.120, 0.0)], single_waits=[0.012] * 3)
    with pytest.raises(checkkit.CheckFailed):
        checkkit.expect_overlap(client, BURST, "report requests")


class StallingClient:
    """Each probed request takes the next scripted (stall, duration, wait)."""

    def __init__(self, clock: Clock, probed) -> None:
        self.clock, self.probed = clock, list(probed)
        self.probed_requests = 0

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return httpx.Response(200)

    def loop_lag_during(self, method: str, url: str, **kwargs: Any):
        stall, seconds, wait = self.probed[min(self.probed_requests, len(self.probed) - 1)]
        self.probed_requests += 1
        self.clock.spend(seconds - wait, wait)
        return httpx.Response(200), stall, seconds


def test_a_stall_the_machines_wait_explains_is_inconclusive(clock):
    client = StallingClient(clock, [(0.060, 0.090, 0.050)])
    with pytest.raises(MachineStarved):
        checkkit.loop_stall(client, "POST", "/keys/derive")
    assert client.probed_requests == 1 + starvation.STARVED_RETRIES


def test_a_stall_beyond_the_wait_is_a_stall(clock):
    client = StallingClient(clock, [(0.080, 0.090, 0.010)])
    _, stall, seconds = checkkit.loop_stall(client, "POST", "/keys/derive")
    assert client.probed_requests == 3
    assert checkkit.stalled(stall, seconds)


def test_a_free_loop_is_free_whatever_the_wait(clock):
    client = StallingClient(clock, [(0.004, 0.300, 0.200)])
    _, stall, seconds = checkkit.loop_stall(client, "POST", "/keys/derive")
    assert client.probed_requests == 1
    assert not checkkit.stalled(stall, seconds)


class ScriptedTimer:
    """timeit.Timer on the scripted clock."""

    def __init__(self, clock: Clock, work) -> None:
        self.clock, self.work = clock, work

    def timeit(self, number: int) -> float:
        started = self.clock.now
        self.work()
        return self.clock.now - started


@pytest.fixture
def scripted_timeit(clock, monkeypatch) -> None:
    monkeypatch.setattr(
        checkkit, "timeit", SimpleNamespace(Timer=lambda work: ScriptedTimer(clock, work))
    )


def test_the_machines_wait_is_taken_off_every_sample(clock, scripted_timeit):
    waits = iter([0.030, 0.030, 0.0, 0.030, 0.045, 0.001, 0.030, 0.030])

    def lookup() -> None:
        clock.spend(0.002, next(waits))

    def yardstick() -> None:
        clock.spend(0.010, next(waits))

    fastest = checkkit.fastest_in_turns([lookup, yardstick], 4)
    assert fastest == [pytest.approx(0.002), pytest.approx(0.010)]


def test_a_starved_yardstick_never_lets_a_lookup_that_redoes_the_work_pass(clock, scripted_timeit):
    # A lookup that parses twice (20 ms) against a yardstick of 10 ms whose every sample waited
    # 50 ms for a CPU: counted whole, the yardstick reads 60 ms, and the lookup "a third of it".
    def lookup() -> None:
        clock.spend(0.020)

    def yardstick() -> None:
        clock.spend(0.010, 0.050)

    lookup_seconds, parse_seconds = checkkit.fastest_in_turns([lookup, yardstick], 3)
    assert parse_seconds == pytest.approx(0.010)
    assert lookup_seconds > 0.5 * parse_seconds  # perf-build-once's rule fails it


# --- what the kernel says, and what a row becomes ------------------------------------------------


def test_the_kernel_counts_the_wait_of_a_thread_beside_busy_processes():
    assert starvation.waited_seconds() is not None, "no /proc/thread-self/schedstat here"
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(4)]
    try:
        time.sleep(0.3)
        with starvation.Window.open() as window:
            deadline = time.perf_counter() + 0.5
            while time.perf_counter() < deadline:
                pass  # wants a CPU all the time, as four others on two cores do
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    print(f"waited {window.waited * 1000:.0f} ms of {window.seconds * 1000:.0f} ms")  # noqa: T201
    assert window.waited > 0.2 * window.seconds


def test_a_starved_check_becomes_an_inconclusive_error_row_with_no_blame():
    plugin = CheckPlugin.__new__(CheckPlugin)
    plugin.evidence = SimpleNamespace(
        exercise=SimpleNamespace(hidden_checks_path=None),
        registry=SimpleNamespace(catalog={"async-1": "never block the loop"}),
    )
    marker = SimpleNamespace(kwargs={"item": "async-1", "hint": "await asyncio.sleep"})
    item = SimpleNamespace(
        get_closest_marker=lambda name: marker, name="test_x", path=None, function=None
    )
    try:
        raise MachineStarved(starvation.describe(0.1, 0.13, 4))
    except MachineStarved:
        call = SimpleNamespace(excinfo=pytest.ExceptionInfo.from_current(), when="call")
    row = plugin._row(item, call)
    assert row.status == "error"
    assert starvation.inconclusive_rows([row]) == [row]
    assert "not a failure" in row.message and row.hint == starvation.HINT


def test_a_starved_row_is_found_by_grading_whatever_its_check_wrote():
    # A check that raises MachineStarved with words of its own (no prefix) is still undecided:
    # grading finds such rows by the prefix, so without it the row would count as an error.
    plugin = CheckPlugin.__new__(CheckPlugin)
    plugin.evidence = SimpleNamespace(
        exercise=SimpleNamespace(hidden_checks_path=None),
        registry=SimpleNamespace(catalog={"perf-1": "do the work once"}),
    )
    marker = SimpleNamespace(kwargs={"item": "perf-1", "hint": "index once"})
    item = SimpleNamespace(
        get_closest_marker=lambda name: marker, name="test_y", path=None, function=None
    )
    try:
        raise MachineStarved("no inotify watch could be had on this machine")
    except MachineStarved:
        call = SimpleNamespace(excinfo=pytest.ExceptionInfo.from_current(), when="call")
    row = plugin._row(item, call)
    assert row.status == "error"
    assert row.message.startswith(starvation.INCONCLUSIVE_PREFIX)
    assert row.message.endswith("no inotify watch could be had on this machine")
    assert starvation.inconclusive_rows([row]) == [row]


def _result(status: str) -> ExerciseResult:
    message = starvation.describe(0.1, 0.13, 4) if status == "error" else ""
    row = CheckResult("burst", "async-1", "", status, message=message)  # type: ignore[arg-type]
    return ExerciseResult("async-sleep", checks=[row])


def test_grading_checks_an_inconclusive_exercise_again_and_keeps_the_decided_result(monkeypatch):
    outcomes = iter([_result("error"), _result("passed")])
    calls = []

    def check(exercise_id, source, limits, handle):
        calls.append(exercise_id)
        return ("result", next(outcomes).to_json())

    monkeypatch.setattr(checker, "_check_in_fresh_process", check)
    monkeypatch.setattr(checker, "REGRADE_PAUSE_SECONDS", 0.0)
    [result] = checker.grade_answers([("async-sleep", "x = 1")], checker.Limits(), confined=False)
    assert len(calls) == 2
    assert result.passed


def test_an_exercise_inconclusive_every_time_says_so_and_is_not_failed(monkeypatch):
    calls = []

    def check(exercise_id, source, limits, handle):
        calls.append(exercise_id)
        return ("result", _result("error").to_json())

    monkeypatch.setattr(checker, "_check_in_fresh_process", check)
    monkeypatch.setattr(checker, "REGRADE_PAUSE_SECONDS", 0.0)
    [result] = checker.grade_answers([("async-sleep", "x = 1")], checker.Limits(), confined=False)
    assert len(calls) == 1 + starvation.REGRADES
    assert result.status == "error"  # not "failed": no verdict on the answer
    assert any("stayed inconclusive" in note for note in result.notes)


def test_a_lower_bound_keeps_this_threads_wait_for_a_cpu(monkeypatch):
    # "An answer at least this slow" must not take off the checks' wait: that wait lies inside
    # the request's time (the answer arrived, the checks had no CPU yet), so a correct answer
    # that awaits its 30 ms looked like 26 ms on a busy machine and failed.
    waited = iter(range(1000))
    monkeypatch.setattr(starvation, "waited_seconds", lambda: 0.025 * next(waited))
    (as_is,) = checkkit.fastest_in_turns([lambda: time.sleep(0.03)], 2, less_waits=False)
    assert as_is >= 0.03
