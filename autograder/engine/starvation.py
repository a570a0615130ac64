"""Whether the machine starved the checks while they timed an answer, measured on the trusted side.

A timing row reads clocks in the checks' process: how long a burst of requests took, how long
a probe of the answer's event loop waited, how long a lookup took beside a yardstick. Time the
measuring thread spent ready to run but waiting for a CPU is time the clock counted and the
answer never had a say in (another submission's processes held the CPUs). The kernel counts it
for every thread: the second field of ``/proc/thread-self/schedstat`` is the time spent waiting
on a run queue, in nanoseconds (Documentation/scheduler/sched-stats.rst).

Only the checks' own thread is counted, never the answer's processes: an answer can starve
itself (its own busy processes in its own cgroup), and that is the answer's doing.

The wait only ever adds time, so each verdict is asked of the numbers that make it hardest:
a burst is serial only if it is serial with the wait taken off the burst (and the single as
measured); it is free only if it is free against the single with the wait taken off; a loop
stalled only if it stalled with the wait taken off the stall; a sample of a yardstick or of a
request counts less its wait. A try that neither verdict holds for is tried again, a bounded
few times (``STARVED_RETRIES``); where none was decided, ``MachineStarved``: the row is
inconclusive (an ``error`` row, neither a failure nor a pass), grading checks that exercise
again (``REGRADES``) and keeps no undecided result. A blocked answer fails whatever the
machine does, once one try is serial beyond what the wait explains; a busy machine never
makes a blocked answer pass.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograder.engine.results import CheckResult

SCHEDSTAT = Path("/proc/thread-self/schedstat")
# How long the checks' thread waits, measured on two cores: a thread that computes 0.3 ms and
# sleeps 1 ms (as the checks do while they wait for answers), over 0.5 s, waited 10 to 21 % of
# the time on a machine loaded by other work; 51 to 67 % beside eight spinning processes in
# sessions of their own; 28 to 53 % with those eight in a cgroup of their own (the share is
# fair, but every wake-up still waits for a slice). Too much to ignore, and too common to
# throw tries away for: ``checkkit`` takes the wait off the numbers where that is sound, and
# retries only where the verdict depends on it.
# Tries beyond a timing primitive's own, for tries the wait left undecided.
STARVED_RETRIES = 3
STARVED_PAUSE_SECONDS = 0.2  # between them: a busy moment of the machine often passes


class MachineStarved(Exception):
    """A timing row could not be decided: no try was, with the machine's wait counted both ways."""


def waited_seconds() -> float | None:
    """How long this thread has waited on a run queue since it started, or None where the
    kernel does not say (no schedstat: the timing rows then judge as they always did)."""
    try:
        return int(SCHEDSTAT.read_text().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class Window:
    """A stretch of time measured here, and how much of it this thread waited for a CPU."""

    started: float
    waited_before: float | None
    seconds: float = 0.0
    waited: float = 0.0

    @classmethod
    def open(cls) -> Window:
        return cls(time.perf_counter(), waited_seconds())

    def close(self) -> Window:
        self.seconds = time.perf_counter() - self.started
        after = waited_seconds()
        if self.waited_before is not None and after is not None:
            self.waited = max(0.0, after - self.waited_before)
        return self

    def __enter__(self) -> Window:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def describe(waited: float, seconds: float, tries: int) -> str:
    """The inconclusive row's message: what was measured, why it is nobody's grade."""
    return (
        f"{INCONCLUSIVE_PREFIX}: this timing could not be measured fairly. In each of "
        f"{tries} tries the machine was busy with other work (the checks waited for a CPU for "
        f"{waited * 1000:.0f} ms of {seconds * 1000:.0f} ms in the last one), so the time "
        "measured says nothing about your code. The exercise is graded again; nothing needs "
        "to change in your answer for that."
    )


HINT = "Nothing to change: this row is decided again when the machine is less busy."


def pause() -> None:
    time.sleep(STARVED_PAUSE_SECONDS)


# Grading checks an exercise again, up to this many times, while a row of it is inconclusive.
REGRADES = 2
INCONCLUSIVE_PREFIX = "Inconclusive, not a failure"


def inconclusive_rows(rows: Iterable[CheckResult]) -> list[CheckResult]:
    """The rows that starvation left undecided (made by ``checkkit`` from ``MachineStarved``)."""
    return [
        row for row in rows if row.status == "error" and row.message.startswith(INCONCLUSIVE_PREFIX)
    ]
