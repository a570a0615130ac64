"""No student can move another's grade: a hog graded beside a classmate, and memory bombs,
through the real pipeline (``course init``, ``nbgrader generate_assignment``, submissions,
``python -m autograder grade --workers 2``).

The hog's answers fork processes that each take a session of their own and spin: the kernel's
grouping by session (autogroup) would give it a share per process. With a cgroup per sandbox
and per checker, the classmate graded beside it keeps exactly the grade its answers earn alone
(references pass every check alone, starters fail: tests/test_exercises.py proves both), and
a wrong answer beside the hog still fails. The memory bombs touch gigabytes in the answer's
processes and send endless bodies; every grading process stays under the bounds below,
measured from the cgroups' memory peaks and from the processes' own high-water marks:

- a sandbox (every process of one submission's answers): at most 3 GiB (its cgroup's limit);
- a checker (every process of one answer's checks): at most 1 GiB (its cgroup's limit);
- the grading process itself: at most 768 MiB; any process outside the sandboxes: 1 GiB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder import registry
from autograder.classroom import cgroups
from autograder.classroom.checker import Limits
from autograder.classroom.nbgrader_hooks import ANSWER_PREFIX, exercise_of
from autograder.classroom.sandbox import SANDBOX_SHARE
from autograder.classroom.synthetic import released_notebook, submit, with_answers
from tests.conftest import in_ci
from tests.test_course import run, scores, tool_env

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("bubblewrap")]
LOADED = registry.load()
LESSON = "01-async-hygiene"
MIB = 1024 * 1024

# The bounds this test holds grading to, whatever an answer does with memory:
SANDBOX_BOUND = SANDBOX_SHARE.memory_mb * MIB  # one submission's sandbox, all its processes
CHECKER_BOUND = Limits().checker_memory_mb * MIB  # one checker, all its processes
GRADER_BOUND = 768 * MIB  # the grading process itself (measured: 0.14 GiB)


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        cgroups.detect().remove()
    except cgroups.CgroupsUnavailable as error:
        # CI grades as root with writable hierarchies (.ci/run): a broken set-up there.
        if in_ci():
            pytest.fail(f"cgroups unavailable: {error}", pytrace=False)
        pytest.skip(f"cgroups unavailable here: {error}")
    course = tmp_path_factory.mktemp("classmate") / "course"
    run([sys.executable, "-m", "autograder", "course", "init", str(course)], cwd=course.parent)
    run(["nbgrader", "generate_assignment", LESSON, "--force"], cwd=course)
    return course


@pytest.fixture
def course(released: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "course"
    shutil.copytree(released, copy)
    return copy


def hand_in(course: Path, student: str, answers: dict[str, str]) -> None:
    """The lesson with ``answers`` and no other answer cells (those score 0 unread)."""
    notebook = with_answers(released_notebook(course, LESSON), answers)
    notebook.cells = [
        cell for cell in notebook.cells if exercise_of(cell, ANSWER_PREFIX) in (None, *answers)
    ]
    submit(course, student, LESSON, notebook)


def points(*exercise_ids: str) -> int:
    return sum(LOADED.exercise(exercise_id).points for exercise_id in exercise_ids)


# --- the hog beside a classmate -------------------------------------------------------------------

SPINNERS = 12
HOG = textwrap.dedent(
    f"""
    import os as _os

    def _spin_in_sessions_of_their_own(count):
        for _ in range(count):
            if _os.fork() == 0:
                _os.setsid()  # a session of its own: a share of its own, without cgroups
                _os.closerange(0, 65536)
                while True:
                    pass

    _spin_in_sessions_of_their_own({SPINNERS})
    """
)
TIMED = ["async-sleep", "async-cpu-bound", "async-http-client"]  # rows that judge by time
WRONG = "async-to-thread"  # a starter with a timing row: it must fail beside the hog too


def test_a_hog_beside_a_classmate_leaves_the_classmates_grade_exact(course):
    hog_answers = {e: HOG + LOADED.exercise(e).starter_source() for e in [*TIMED, WRONG]}
    hand_in(course, "aa-hog", hog_answers)  # first: graded from the start, beside the classmate
    classmate = {e: LOADED.exercise(e).reference_source() for e in TIMED}
    classmate[WRONG] = LOADED.exercise(WRONG).starter_source()
    hand_in(course, "bb-classmate", classmate)

    finished = run(
        [sys.executable, "-m", "autograder", "grade", str(course), "--workers", "2",
         "--timeout", "30"],
        cwd=course,
    )  # fmt: skip
    print(finished.stdout)  # noqa: T201 (shown with -s)
    lines = finished.stdout.splitlines()
    assert any(line.startswith("fair shares: a cgroup (v") for line in lines[:3]), lines[:3]
    assert lines[-1].endswith("0 could not be graded"), finished.stdout
    got = {student: score for (student, _), score in scores(course).items()}
    assert got == {"aa-hog": 0, "bb-classmate": points(*TIMED)}, finished.stdout


# --- memory bombs ---------------------------------------------------------------------------------

TOUCH_GIGABYTES = textwrap.dedent(
    """
    import os as _os
    import time as _time

    def _touch(gib):
        held = []
        try:
            for _ in range(gib * 16):
                held.append(b"\\x01" * (64 * 1024 * 1024))  # written: every page is touched
        except MemoryError:
            pass
        return held

    for _ in range(3):  # beyond one process's address space: three more processes
        if _os.fork() == 0:
            _held = _touch(3)
            _time.sleep(120)
            _os._exit(0)
    _held = _touch(3)
    """
)
ENDLESS_BODIES = textwrap.dedent(
    """
    from fastapi.responses import StreamingResponse as _StreamingResponse

    def _endless():
        chunk = b"x" * (1024 * 1024)
        while True:
            yield chunk
    """
)


def endless_body_answer() -> str:
    """The starter, with every route answering an endless body (and a 300 MB one first)."""
    starter = LOADED.exercise("async-sleep").starter_source()
    return (
        ENDLESS_BODIES
        + starter
        + textwrap.dedent(
            """

            @app.middleware("http")
            async def _endless_bodies(request, call_next):
                if request.url.path.startswith("/reports/1"):
                    return _StreamingResponse(iter([b"[" + b"1," * (150 * 1024 * 1024) + b"1]"]))
                return _StreamingResponse(_endless(), media_type="application/json")
            """
        )
    )


MEASURED_GRADE = textwrap.dedent(
    """
    import json, os, resource, subprocess, sys, threading, time
    from pathlib import Path

    command, memory_base, peak_name = json.loads(sys.argv[1])
    grader = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    parent = Path(memory_base) / f"workbook-{grader.pid}"
    peaks, grader_hwm, done = {}, [0], threading.Event()

    def read_int(path):
        try:
            return int(path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def poll():
        while not done.is_set():
            for folder in [parent, *(parent.iterdir() if parent.is_dir() else [])]:
                if folder.is_dir():
                    value = read_int(folder / peak_name)
                    peaks[folder.name] = max(peaks.get(folder.name, 0), value)
            try:
                for line in Path(f"/proc/{grader.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        grader_hwm[0] = max(grader_hwm[0], int(line.split()[1]) * 1024)
            except OSError:
                pass
            time.sleep(0.02)

    watcher = threading.Thread(target=poll)
    watcher.start()
    output = grader.communicate()[0]
    done.set()
    watcher.join()
    print(json.dumps({
        "output": output,
        "returncode": grader.returncode,
        "peaks": peaks,
        "grader_hwm": grader_hwm[0],
        "largest_process": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
    }))
    """
)


def memory_base() -> tuple[Path, str]:
    """Where the grader (started by this test) makes its parent group in the memory hierarchy,
    and the name of the peak file there."""
    found = cgroups.detect()
    found.remove()
    if found.version == 2:
        return found.parents[""].parent, "memory.peak"
    return found.parents["memory"].parent, "memory.max_usage_in_bytes"


def test_memory_bombs_leave_every_grading_process_under_its_bound(course):
    hand_in(course, "aa-touches-gigabytes", {
        "async-sleep": TOUCH_GIGABYTES + LOADED.exercise("async-sleep").starter_source()
    })  # fmt: skip
    hand_in(course, "bb-endless-bodies", {"async-sleep": endless_body_answer()})
    hand_in(
        course, "cc-control", {"async-sleep": LOADED.exercise("async-sleep").reference_source()}
    )

    base, peak_name = memory_base()
    command = [sys.executable, "-m", "autograder", "grade", str(course), "--workers", "2",
               "--timeout", "30"]  # fmt: skip
    measured = subprocess.run(
        [sys.executable, "-c", MEASURED_GRADE, json.dumps([command, str(base), peak_name])],
        cwd=course,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    figures = json.loads(measured.stdout)
    output = figures["output"]
    assert figures["returncode"] == 0, output + measured.stderr
    assert output.splitlines()[-1].endswith("0 could not be graded"), output
    got = {student: score for (student, _), score in scores(course).items()}
    assert got == {
        "aa-touches-gigabytes": 0,
        "bb-endless-bodies": 0,
        "cc-control": points("async-sleep"),
    }, output

    peaks = figures["peaks"]
    sandboxes = {name: peak for name, peak in peaks.items() if name.startswith("sandbox-")}
    checkers = {name: peak for name, peak in peaks.items() if name.startswith("checker-")}
    report = [
        # ru_maxrss of the grading tree: the grader, its fork server and the checkers it reaps
        # (the answers' processes end inside their sandboxes: their groups' peaks count them).
        f"largest process outside the sandboxes (ru_maxrss): "
        f"{figures['largest_process'] / MIB:.0f} MiB",
        f"grader process (VmHWM): {figures['grader_hwm'] / MIB:.0f} MiB",
        f"all grading groups together: {max(peaks.values(), default=0) / MIB:.0f} MiB",
        *(f"{name}: {peak / MIB:.0f} MiB" for name, peak in sorted(sandboxes.items())),
        *(f"{name}: {peak / MIB:.0f} MiB" for name, peak in sorted(checkers.items())),
    ]
    print("\n".join(report))  # noqa: T201 (the figures the README quotes; shown with -s)
    assert sandboxes and checkers, f"no group was seen: {sorted(peaks)}"
    # The bomb filled its sandbox: the bound was reached and held.
    assert max(sandboxes.values()) > SANDBOX_BOUND // 2, report
    assert all(peak <= SANDBOX_BOUND for peak in sandboxes.values()), report
    assert all(peak <= CHECKER_BOUND for peak in checkers.values()), report
    assert figures["largest_process"] <= CHECKER_BOUND, report
    assert figures["grader_hwm"] <= GRADER_BOUND, report
