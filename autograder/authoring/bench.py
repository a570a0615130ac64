"""``make bench``: how long a learner waits for a check cell, measured in real kernels.

cold: a fresh kernel runs the setup cell and an exercise cell (the starter, as a learner first
sees it), then the check cell is timed: every import the check needs is inside that time. One
fresh kernel per exercise, over every exercise of every lesson; the line reports the worst.
warm: one kernel runs every exercise once, then each check again ``WARM_ROUNDS`` times; the
line reports the median. Times are wall-clock, from sending the cell to its reply.

Then a synthetic class is graded by nbgrader, by ``python -m autograder grade`` and by plain
nbclient (see ``autograder.authoring.bench_grading``), which prints the ``grading:`` line.

Every kernel and grader the bench starts records learner progress in a temporary store
(``WORKBOOK_PROGRESS``), never in the developer's own.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jupyter_client.manager import KernelManager

from autograder import registry as registry_module
from autograder.authoring.lessons import SETUP_SOURCE, check_cell_source, exercise_cell_source
from autograder.learner.progress_store import PROGRESS_ENV
from autograder.registry import Exercise

WARM_ROUNDS = 5
CELL_TIMEOUT = 120


class Kernel:
    def __init__(self) -> None:
        # ipc: local socket files, so the kernel opens no TCP port (and does not warn about one).
        self.manager = KernelManager(kernel_name="python3", transport="ipc")
        self.manager.start_kernel()
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, code: str) -> tuple[float, str]:
        """Run a cell; return its wall time and its status (ok or error)."""
        started = time.perf_counter()
        reply = self.client.execute_interactive(
            code, timeout=CELL_TIMEOUT, output_hook=lambda message: None
        )
        return time.perf_counter() - started, reply["content"]["status"]

    def must_run(self, code: str) -> None:
        _, status = self.run(code)
        if status != "ok":
            raise RuntimeError(f"benchmark set-up cell failed:\n{code[:200]}")

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def _prepare(kernel: Kernel, exercise: Exercise) -> None:
    kernel.must_run(exercise_cell_source(exercise, exercise.starter_source()))


def cold_latency(exercise: Exercise) -> float:
    kernel = Kernel()
    try:
        kernel.must_run(SETUP_SOURCE)
        _prepare(kernel, exercise)
        seconds, _ = kernel.run(check_cell_source(exercise))
        return seconds
    finally:
        kernel.close()


def warm_latencies(exercises: tuple[Exercise, ...]) -> dict[str, list[float]]:
    kernel = Kernel()
    try:
        kernel.must_run(SETUP_SOURCE)
        for exercise in exercises:
            _prepare(kernel, exercise)
            kernel.run(check_cell_source(exercise))  # first run warms this exercise's imports
        timings: dict[str, list[float]] = {exercise.id: [] for exercise in exercises}
        for _ in range(WARM_ROUNDS):
            for exercise in exercises:
                seconds, _ = kernel.run(check_cell_source(exercise))
                timings[exercise.id].append(seconds)
        return timings
    finally:
        kernel.close()


def check_latency() -> str:
    exercises = registry_module.load().exercises
    cold = {exercise.id: cold_latency(exercise) for exercise in exercises}
    warm = warm_latencies(exercises)
    print("per exercise: cold s, warm p50 s")
    for exercise in exercises:
        warm_p50 = statistics.median(warm[exercise.id])
        print(f"  {exercise.id:<28} {cold[exercise.id]:.3f}  {warm_p50:.3f}")
    all_warm = [seconds for series in warm.values() for seconds in series]
    print(f"cold: median {statistics.median(cold.values()):.3f} s over {len(cold)} fresh kernels")
    return (
        f"check latency: cold {max(cold.values()):.2f} s, "
        f"warm p50 {statistics.median(all_warm):.2f} s"
    )


@contextmanager
def temporary_progress_store() -> Iterator[Path]:
    """``WORKBOOK_PROGRESS`` names a scratch file while the bench runs; kernels inherit it."""
    previous = os.environ.get(PROGRESS_ENV)
    with tempfile.TemporaryDirectory(prefix="workbook-bench-progress-") as directory:
        path = Path(directory) / "progress.sqlite3"
        os.environ[PROGRESS_ENV] = str(path)
        try:
            yield path
        finally:
            if previous is None:
                os.environ.pop(PROGRESS_ENV, None)
            else:
                os.environ[PROGRESS_ENV] = previous


def main(*, students: int | None = None, only: str | None = None) -> int:
    """Both parts by default; ``only`` is "checks" or "grading"."""
    from autograder.authoring.bench_grading import STUDENTS, GradingBenchFailed, grading_line

    with temporary_progress_store():
        if only in (None, "checks"):
            print(check_latency(), flush=True)
        if only in (None, "grading"):
            try:
                print(grading_line(STUDENTS if students is None else students), flush=True)
            except GradingBenchFailed as failure:
                print(f"grading bench failed: {failure}", file=sys.stderr)
                return 1
    return 0
