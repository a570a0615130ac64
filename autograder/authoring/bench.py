"""``make bench``: how long a learner waits for a verdict, measured in real kernels.

The summary line, ``check latency``, times the check cell alone, as it always has: a kernel
with watch mode off (``WORKBOOK_WATCH=0``) runs the exercise cell untimed, then the check cell
is timed. cold: a fresh kernel that has run the setup cell, let its warm-up finish (as it does
while a learner reads), and run the exercise cell (its starter, as a learner first sees it),
one kernel per exercise; the line reports the worst. The details also give the worst first
check run at once after the setup cell. warm: one
kernel, every exercise checked ``WARM_ROUNDS`` times, the exercise cell edited (a changed
line) before each, so that no result is reused; the line reports the median.

The details also give the watch-mode figures a learner meets with `make lab`: running the
exercise cell (which checks it) and then its check cell, timed together, which includes the
learner's own code running in the kernel. Times are wall-clock.
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
WAIT_FOR_WARM_UP = "from autograder.learner.notebook import wait_until_warm\nwait_until_warm()"
CELL_TIMEOUT = 120


class Kernel:
    def __init__(self, *, watch: bool) -> None:
        # ipc: local socket files, so the kernel opens no TCP port (and does not warn about one).
        self.manager = KernelManager(kernel_name="python3", transport="ipc")
        env = {**os.environ, "WORKBOOK_WATCH": "1" if watch else "0"}
        self.manager.start_kernel(env=env)
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


def _edit_and_check(kernel: Kernel, exercise: Exercise, edit: str, *, watch: bool) -> float:
    """Run the exercise cell (``edit`` as its last line), then its check cell, and time them.

    Without watch mode only the check cell is timed; with it, both cells are.
    """
    source = exercise.starter_source().rstrip() + f"\n# {edit}\n"
    cell_seconds, _ = kernel.run(exercise_cell_source(exercise, source))
    check_seconds, _ = kernel.run(check_cell_source(exercise))
    return cell_seconds + check_seconds if watch else check_seconds


def cold_latency(exercise: Exercise, *, watch: bool, back_to_back: bool = False) -> float:
    """The first check in a fresh kernel.

    After the setup cell a learner reads the lesson, and meanwhile the setup cell's warm-up
    (the answer host, the fake services, the checks' imports) finishes; the bench waits for it
    untimed, unless ``back_to_back``: the worst case, the first exercise run at once.
    """
    kernel = Kernel(watch=watch)
    try:
        kernel.must_run(SETUP_SOURCE)
        if not back_to_back:
            kernel.must_run(WAIT_FOR_WARM_UP)
        return _edit_and_check(kernel, exercise, "first run", watch=watch)
    finally:
        kernel.close()


def warm_latencies(exercises: tuple[Exercise, ...], *, watch: bool) -> dict[str, list[float]]:
    kernel = Kernel(watch=watch)
    try:
        kernel.must_run(SETUP_SOURCE)
        for exercise in exercises:
            _edit_and_check(kernel, exercise, "warming up", watch=watch)  # imports, once
        timings: dict[str, list[float]] = {exercise.id: [] for exercise in exercises}
        for number in range(WARM_ROUNDS):
            for exercise in exercises:
                seconds = _edit_and_check(kernel, exercise, f"edit {number}", watch=watch)
                timings[exercise.id].append(seconds)
        return timings
    finally:
        kernel.close()


def _measure(exercises: tuple[Exercise, ...], *, watch: bool) -> tuple[float, float]:
    """Print per-exercise figures; return the worst cold and the median warm."""
    cold = {exercise.id: cold_latency(exercise, watch=watch) for exercise in exercises}
    warm = warm_latencies(exercises, watch=watch)
    what = "exercise cell + check cell (watch mode)" if watch else "check cell alone"
    print(f"{what}, per exercise: cold s, warm p50 s")
    for exercise in exercises:
        warm_p50 = statistics.median(warm[exercise.id])
        print(f"  {exercise.id:<28} {cold[exercise.id]:.3f}  {warm_p50:.3f}")
    all_warm = [seconds for series in warm.values() for seconds in series]
    print(f"cold: median {statistics.median(cold.values()):.3f} s over {len(cold)} fresh kernels")
    return max(cold.values()), statistics.median(all_warm)


def check_latency() -> str:
    exercises = registry_module.load().exercises
    watch_cold, watch_warm = _measure(exercises, watch=True)
    print(f"watch mode, run to verdict: cold {watch_cold:.2f} s, warm p50 {watch_warm:.2f} s")
    back_to_back = max(cold_latency(e, watch=False, back_to_back=True) for e in exercises)
    print(f"check cell alone, run at once after the setup cell (worst): {back_to_back:.2f} s")
    cold, warm = _measure(exercises, watch=False)
    return f"check latency: cold {cold:.2f} s, warm p50 {warm:.2f} s"


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


def load_line() -> str:
    """Lesson 06's headline demo under the same load: the catalogue parsed per request, then
    once. 400 requests from 20 concurrent clients each, on loopback."""
    from workbook.catalogue_apps import PATH, parse_once_app, parse_per_request_app
    from workbook.load import measure_load

    bad = measure_load(parse_per_request_app(), PATH)
    good = measure_load(parse_once_app(), PATH)
    for label, result in (("bad", bad), ("good", good)):
        print(
            f"  {label}: {result.requests} requests in {result.seconds:.1f} s, p50 "
            f"{result.p50 * 1000:.0f} ms, statuses {result.statuses}, dropped {result.errors}"
        )
    return f"load: bad {bad.describe()}; good {good.describe()}"


def main(*, students: int | None = None, only: str | None = None) -> int:
    """Every part by default; ``only`` is "checks", "load" or "grading"."""
    from autograder.authoring.bench_grading import STUDENTS, GradingBenchFailed, grading_line

    with temporary_progress_store():
        if only in (None, "checks"):
            print(check_latency(), flush=True)
        if only in (None, "load"):
            print(load_line(), flush=True)
        if only in (None, "grading"):
            try:
                print(grading_line(STUDENTS if students is None else students), flush=True)
            except GradingBenchFailed as failure:
                print(f"grading bench failed: {failure}", file=sys.stderr)
                return 1
    return 0
