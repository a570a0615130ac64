"""``make bench``: how long a learner waits for a check cell, measured in real kernels.

cold: a fresh kernel runs the setup cell and an exercise cell (the starter, as a learner first
sees it), then the check cell is timed: every import the check needs is inside that time. One
fresh kernel per exercise, over every exercise of every lesson; the line reports the worst.
warm: one kernel runs every exercise once, then each check again ``WARM_ROUNDS`` times; the
line reports the median. Times are wall-clock, from sending the cell to its reply.
"""

from __future__ import annotations

import statistics
import time

from jupyter_client.manager import KernelManager

from autograder import registry as registry_module
from autograder.lessons import SETUP_SOURCE, check_cell_source, exercise_cell_source
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


def main() -> int:
    print(check_latency())
    return 0
