"""Many answers checked in a few worker processes, each answer with a time limit.

The author check runs hundreds of generated answers (partial fixes, mutants). ``run_checks``
runs one answer at a time per process (it holds a lock), so parallelism means processes. A
worker that overruns its limit is killed with everything it started (it leads its own process
group), and a fresh one takes its place: a mutant that hangs is a verdict (it fails: no answer
may take that long), not a stuck run. ``concurrent.futures`` cannot kill one worker of its pool,
which is why this small supervisor exists.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

DEFAULT_JOBS = 2
DEFAULT_TIME_LIMIT_SECONDS = 60.0


@dataclass(frozen=True)
class Trial:
    key: str  # unique within one run: "<exercise id> <answer name>"
    exercise_id: str
    source: str
    trusted_only: bool = False


@dataclass(frozen=True)
class Verdict:
    key: str
    passed: bool
    does_not_run: bool = False  # does not start, or reaches an undefined name (ruff's F821)
    failing: tuple[str, ...] = field(default=())  # "[rule] check name", the first few
    seconds: float = 0.0
    timed_out: bool = False
    error: str = ""  # the checks themselves could not run: the author must look


def check_one(trial: Trial) -> Verdict:
    from autograder.engine.runner import run_checks

    started = time.perf_counter()
    try:
        result = run_checks(
            trial.exercise_id, trial.source, hidden=True, trusted_only=trial.trusted_only
        )
    except Exception as error:  # reported to the author as a problem, never as a verdict
        return Verdict(trial.key, False, error=f"{type(error).__name__}: {error}")
    failures = result.failures()
    return Verdict(
        trial.key,
        result.passed,
        does_not_run=any(c.kind == "runs" or c.rule == "F821" for c in failures),
        failing=tuple(f"[{c.rule}] {c.name}" for c in failures[:3]),
        seconds=time.perf_counter() - started,
    )


def _end_worker(signum: int, frame: object) -> None:
    """Asked to stop mid-check: close the answer host (it runs in a session of its own, out of
    reach of a group kill), then go."""
    from autograder.engine import answers

    host = answers._default_host  # None if never started
    if host is not None:
        host.close()
    os._exit(1)


def _worker(connection: Connection) -> None:
    os.setpgrp()  # what it starts in its own session aside, a group kill takes it all
    signal.signal(signal.SIGTERM, _end_worker)
    while True:
        trial = connection.recv()
        if trial is None:
            return
        connection.send(check_one(trial))


@dataclass
class _Slot:
    process: BaseProcess
    connection: Connection
    trial: Trial | None = None
    deadline: float = 0.0


def _start_slot(context: multiprocessing.context.BaseContext) -> _Slot:
    ours, theirs = context.Pipe()
    process = context.Process(target=_worker, args=(theirs,), daemon=True)
    process.start()
    theirs.close()
    return _Slot(process, ours)


def _kill(slot: _Slot) -> None:
    pid = slot.process.pid
    if pid is not None and slot.process.is_alive():
        slot.process.terminate()  # SIGTERM: the worker closes its answer host first
        slot.process.join(timeout=10)
    if pid is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # the worker's own group, whatever is left of it
    slot.process.join(timeout=5)
    slot.connection.close()


def run_trials(
    trials: Iterable[Trial],
    *,
    jobs: int = DEFAULT_JOBS,
    time_limit: float = DEFAULT_TIME_LIMIT_SECONDS,
) -> Iterator[Verdict]:
    """Verdicts as they come (not in order), ``jobs`` answers at a time."""
    pending = list(trials)
    pending.reverse()  # pop() from the end keeps the given order
    # spawn: the parent may hold threads (fake services), which fork would copy half-alive.
    context = multiprocessing.get_context("spawn")
    slots = [_start_slot(context) for _ in range(max(1, min(jobs, len(pending))))]
    try:
        while True:
            for slot in slots:
                if slot.trial is None and pending:
                    slot.trial = pending.pop()
                    slot.deadline = time.monotonic() + time_limit
                    slot.connection.send(slot.trial)
            busy = [slot for slot in slots if slot.trial is not None]
            if not busy:
                return
            soonest = min(slot.deadline for slot in busy)
            timeout = max(0.0, soonest - time.monotonic())
            ready = wait([slot.connection for slot in busy], timeout=timeout)
            for index, slot in enumerate(slots):
                if slot.trial is None:
                    continue
                trial = slot.trial
                if slot.connection in ready:
                    try:
                        verdict = slot.connection.recv()
                    except (EOFError, OSError):  # the worker died (out of memory, a crash)
                        _kill(slot)
                        slots[index] = _start_slot(context)
                        yield Verdict(trial.key, False, error="the checking process died")
                        continue
                    slot.trial = None
                    yield verdict
                elif time.monotonic() >= slot.deadline:
                    _kill(slot)
                    slots[index] = _start_slot(context)
                    yield Verdict(trial.key, False, seconds=time_limit, timed_out=True)
    finally:
        for slot in slots:
            if slot.trial is None and slot.process.is_alive():
                try:
                    slot.connection.send(None)
                except OSError:
                    pass
                slot.process.join(timeout=10)
            if slot.process.is_alive():
                _kill(slot)
