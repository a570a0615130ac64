"""Grading in a fresh, limited process, and the review that keeps answers away from the grader."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from autograder import registry
from autograder.classroom.nbgrader_hooks import ResultStore
from autograder.classroom.sandbox import Limits, _in_new_interpreter, _result_from, grade_exercise
from autograder.engine.guard import review_answer
from autograder.engine.results import ExerciseResult

LOADED = registry.load()
SLEEP = LOADED.exercise("async-sleep")
WRONG_FIXES = Path(__file__).parent / "wrong_fixes"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import autograder.engine.results as results\n", "imports autograder.engine.results"),
        ("from sys import modules\n", "imports from sys"),
        ("import importlib\n", "imports importlib"),
        ("import httpx\nhttpx.ASGITransport.handle_async_request = None\n", "changes httpx"),
        ("import fastapi\nsetattr(fastapi, 'FastAPI', None)\n", "changes fastapi"),
        ("import os\nos._exit(0)\n", "calls os._exit"),
        ("import os\nos.kill(os.getpid(), 9)\n", "calls os.kill"),
        ("exec('x = 1')\n", "uses exec"),
        ("value = (1).__class__.__mro__\n", "reads the internal attribute __mro__"),
        ("name = 'x'\ngetattr(object, name)\n", "calls getattr with a computed name"),
    ],
)
def test_code_that_reaches_for_the_grader_is_named(code, expected):
    found = [violation.what for violation in review_answer(code)]
    assert any(expected in what for what in found), found


def test_no_starter_reference_or_wrong_fix_trips_the_review():
    sources = {f"{e.id} starter": e.starter_source() for e in LOADED.exercises}
    sources |= {f"{e.id} reference": e.reference_source() for e in LOADED.exercises}
    sources |= {path.name: path.read_text(encoding="utf-8") for path in WRONG_FIXES.glob("*.py")}
    tripped = {name: review_answer(code) for name, code in sources.items() if review_answer(code)}
    assert not tripped


def test_rejected_code_is_never_run(tmp_path):
    marker = tmp_path / "ran"
    code = f"from pathlib import Path\nPath({str(marker)!r}).touch()\nimport sys\n"
    result = grade_exercise(SLEEP.id, code, Limits(seconds=20))
    assert [check.rule for check in result.failures()] == ["grader-guard"]
    assert not marker.exists()


def test_reference_passes_and_starter_fails_in_a_fresh_process():
    assert grade_exercise(SLEEP.id, SLEEP.reference_source()).passed
    assert not grade_exercise(SLEEP.id, SLEEP.starter_source()).passed


def test_an_answer_that_never_ends_is_stopped_at_the_time_limit():
    started = time.perf_counter()
    result = grade_exercise(SLEEP.id, "while True:\n    pass\n", Limits(seconds=3))
    assert time.perf_counter() - started < 15
    assert "did not finish within 3 s" in result.failures()[0].message


def test_an_answer_that_hoards_memory_fails_with_memory_error():
    result = grade_exercise(SLEEP.id, "hoard = bytearray(64 * 1024**3)\n", Limits(seconds=20))
    assert not result.passed
    assert "MemoryError" in result.failures()[0].message


def test_an_answer_that_exits_is_reported():
    result = grade_exercise(SLEEP.id, "raise SystemExit(3)\n", Limits(seconds=20))
    assert "SystemExit" in result.failures()[0].message


def test_a_grading_process_killed_from_outside_is_reported_as_ended():
    # Code the review lets through cannot kill its own process, so the test does it.
    def kill_the_grading_process() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            children = [c for c in multiprocessing.active_children() if c.name.startswith("grade")]
            if children:
                time.sleep(0.5)
                os.kill(children[0].pid, signal.SIGKILL)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_the_grading_process)
    killer.start()
    result = grade_exercise(SLEEP.id, "import time\ntime.sleep(30)\n", Limits(seconds=25))
    killer.join()
    message = result.failures()[0].message
    assert "ended before it reported (it was killed by SIGKILL)" in message


def test_a_new_interpreter_grades_like_a_forked_process():
    # Daemonic dask workers may not fork children; they start a new interpreter instead.
    outcome = _in_new_interpreter(SLEEP.id, SLEEP.starter_source(), Limits(seconds=60))
    from_interpreter = _result_from(SLEEP.id, outcome, Limits())
    forked = grade_exercise(SLEEP.id, SLEEP.starter_source())
    assert [(c.name, c.status) for c in from_interpreter.checks] == [
        (c.name, c.status) for c in forked.checks
    ]


def test_a_torn_result_file_is_graded_again(tmp_path):
    store = ResultStore.at(tmp_path)
    result = ExerciseResult(SLEEP.id)
    store.put(SLEEP.id, "code", result)
    assert store.get(SLEEP.id, "code") is not None
    path = store.path_for(SLEEP.id, "code")
    assert path is not None
    path.write_text('{"exercise": "async-sl', encoding="utf-8")
    assert store.get(SLEEP.id, "code") is None
