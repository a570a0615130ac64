"""The answer's CPU time, read from the kernel: what the cost rows decide a scan by.

Timed from outside, a lookup near the end of a list and one near its start differ by less than
a busy machine's noise (CI saw a scanned list pass and an index fail the same row). The CPU
time the kernel charged the answer's processes does not count waiting, so it must show a
request's own work, beside a machine kept busy, in the notebook's engine and in a sandbox.
"""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from autograder.classroom.checker import grade_exercise
from autograder.engine.answer_cpu import AnswerCpu, socket_holders
from autograder.engine.answers import AnswerSpec, default_host
from autograder.engine.clients import AnswerClient

WORKS_ON_REQUEST = """
import time
from fastapi import FastAPI

app = FastAPI()


@app.get("/work/{milliseconds}")
async def work(milliseconds: int) -> dict[str, int]:
    ends = time.thread_time() + milliseconds / 1000
    while time.thread_time() < ends:
        pass
    return {"done": milliseconds}
"""
FIXES = Path(__file__).parent


def _spin(seconds: float) -> None:
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        pass


@pytest.fixture
def working_answer():
    answer = default_host().start_answer(AnswerSpec("async-sleep", source=WORKS_ON_REQUEST))
    assert answer.wait_until_serving(20), answer.report.load_error
    client = AnswerClient(str(answer.socket_path), answer.report, socket_inode=answer.socket_inode)
    yield client
    client.close()
    answer.stop()


def cpu_of(client: AnswerClient, url: str) -> float:
    before = client.cpu.seconds()
    assert client.get(url).status_code == 200
    after = client.cpu.seconds()
    assert before is not None and after is not None
    return after - before


def test_the_meter_finds_only_the_answer_by_its_socket(working_answer):
    holders = socket_holders(working_answer.cpu.socket_inode)
    assert len(holders) == 1, holders
    assert AnswerCpu(0).seconds() is None  # no socket named: no meter, never a guess


def test_a_request_costs_its_own_work_on_a_busy_machine(working_answer):
    cpu_of(working_answer, "/work/0")  # first-call costs
    busy = [multiprocessing.Process(target=_spin, args=(6.0,)) for _ in range(4)]
    for process in busy:
        process.start()
    try:
        light = min(cpu_of(working_answer, "/work/0") for _ in range(5))
        heavy = min(cpu_of(working_answer, "/work/20") for _ in range(5))
    finally:
        for process in busy:
            process.terminate()
            process.join()
    assert light < 0.005, light  # four spinning processes on two cores add nothing
    assert 0.019 <= heavy - light <= 0.030, (heavy, light)


@pytest.mark.usefixtures("bubblewrap")
def test_a_sandboxed_scan_is_caught_in_cpu_time_where_grading_runs():
    source = (FIXES / "wrong_fixes" / "perf_build_once__scanned_list.py").read_text()
    result = grade_exercise("perf-build-once", source)
    failures = [row.message for row in result.failures()]
    assert any("more CPU time than one near the start" in message for message in failures), failures
