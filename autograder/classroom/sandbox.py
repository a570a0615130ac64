"""Grade one exercise in a fresh process with time and memory limits.

A grade must not depend on anything a submission did before its checks ran, so every exercise
of every submission is graded in a process of its own, which then ends. The process is forked
from a multiprocessing fork server that has already imported FastAPI, pytest and the checks:
it is fresh (no learner code has run in it) yet starts in milliseconds instead of the second a
new interpreter takes to import all that. Where a process may not have children of its own (a
daemonic dask worker), a new interpreter is started instead.

What the learner's code may cost is bounded: address space (``RLIMIT_AS``, so running out of
memory raises ``MemoryError`` instead of waking the machine's OOM killer), wall time (the
parent kills the process; a watchdog inside ends it too if the parent has gone), and output
(the process's stdout and stderr go to /dev/null; results travel on a channel of their own).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from multiprocessing.connection import Connection
from typing import Any

from autograder.engine.results import CheckResult, ExerciseResult

# Imported once in the fork server, so that each graded exercise starts warm.
PRELOAD = [
    "autograder.engine.runner",
    "autograder.engine.driver",
    "autograder.engine.checkkit",
    "autograder.engine.proptest",
    "fastapi",
    "fastapi.testclient",
    "pydantic",
    "pydantic_settings",
    "httpx",
    "requests",
    "hypothesis",
    "uvicorn",
    "workbook.upstreams",
    "workbook.fakes",
    # pydantic's v1 shim and the asyncio backends are first imported by the first check run.
    "pydantic.v1",
    "anyio._backends._asyncio",
    "asgi_lifespan",
    "autograder.classroom.forkserver_warmup",  # last: it freezes what the imports above loaded
]


@dataclass(frozen=True)
class Limits:
    seconds: float = 30.0
    memory_mb: int = 2048


def grade_exercise(exercise_id: str, source: str, limits: Limits | None = None) -> ExerciseResult:
    """Visible and hidden checks of ``exercise_id`` on ``source``, run in a fresh process."""
    limits = limits or Limits()
    if multiprocessing.current_process().daemon:
        outcome = _in_new_interpreter(exercise_id, source, limits)
    else:
        outcome = _in_forked_process(exercise_id, source, limits)
    return _result_from(exercise_id, outcome, limits)


# --- the parent's side --------------------------------------------------------------------------

# What came back from a grading process: ("result", json) | ("error", text)
# | ("timeout", "") | ("died", exit description)
Outcome = tuple[str, Any]


@cache
def _fork_context() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _in_forked_process(exercise_id: str, source: str, limits: Limits) -> Outcome:
    context = _fork_context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_forked_main,
        args=(sender, exercise_id, source, limits),
        name=f"grade {exercise_id}",
        daemon=True,  # ends with the grader if the grader ends first
    )
    with _main_script_hidden():
        process.start()
    sender.close()
    try:
        if not receiver.poll(limits.seconds):
            return ("timeout", "")
        try:
            return receiver.recv()
        except (EOFError, OSError):
            process.join(5)
            return ("died", _describe_exit(process.exitcode))
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(5)


_main_module_lock = threading.Lock()  # local workers start processes from several threads


@contextmanager
def _main_script_hidden() -> Iterator[None]:
    """Keep multiprocessing from running the parent's main script again in the new process.

    It does that so that targets defined in a script can be found; ours lives in this module.
    Under ``nbgrader autograde`` the script is nbgrader's, and running it again cost about
    1.7 s per graded exercise.
    """
    with _main_module_lock:
        main = sys.modules["__main__"]
        script = main.__dict__.pop("__file__", None)
        try:
            yield
        finally:
            if script is not None:
                main.__file__ = script


def _in_new_interpreter(exercise_id: str, source: str, limits: Limits) -> Outcome:
    job = json.dumps(
        {"exercise": exercise_id, "source": source, "seconds": limits.seconds,
         "memory_mb": limits.memory_mb}
    )  # fmt: skip
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "autograder.classroom.sandbox"],
            input=job,
            capture_output=True,
            text=True,
            timeout=limits.seconds + 10,  # this path also pays for the interpreter's imports
            check=False,
        )
    except subprocess.TimeoutExpired:
        return ("timeout", "")
    try:
        kind, payload = json.loads(finished.stdout)
    except ValueError:
        return ("died", _describe_exit(finished.returncode))
    return (kind, payload)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "it did not end"
    if code < 0:
        return f"it was killed by {signal.Signals(-code).name}"
    return f"it exited with status {code}"


def _result_from(exercise_id: str, outcome: Outcome, limits: Limits) -> ExerciseResult:
    kind, payload = outcome
    if kind == "result":
        return ExerciseResult.from_json(payload)
    if kind == "timeout":
        message = (
            f"Grading this exercise did not finish within {limits.seconds:g} s, so it was "
            "stopped: look for an endless loop, or code that waits for something that never "
            "comes, at the top level of the cell or in an endpoint."
        )
    elif kind == "error" and "MemoryError" in str(payload):
        message = (
            f"The code needed more than {limits.memory_mb} MB of memory while it was graded. "
            "Look for a value that grows without end."
        )
    elif kind == "error":
        message = f"The checks could not finish: {payload}."
    else:
        message = (
            f"The process grading this exercise ended before it reported ({payload}). Code "
            "that exits or crashes the interpreter cannot be graded."
        )
    row = CheckResult(
        name="grading finished",
        rule="sandbox",
        rule_text="An answer is graded in a fresh process with time and memory limits.",
        status="failed",
        message=message,
        hint="Run the check cell in the notebook: it shows where the code stops.",
        kind="runs",
    )
    return ExerciseResult(exercise_id, checks=[row])


# --- the grading process's side -----------------------------------------------------------------


def _forked_main(sender: Connection, exercise_id: str, source: str, limits: Limits) -> None:
    _confine(limits)
    outcome = _grade_here(exercise_id, source)
    sender.send(outcome)
    sender.close()
    # Threads the learner's app started may never stop; the result is already sent.
    os._exit(0)


def _confine(limits: Limits) -> None:
    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # A scratch directory: files the code writes land nowhere near the course.
    os.chdir(tempfile.mkdtemp(prefix="workbook-grade-"))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    # The parent kills a process that overruns; this ends one whose parent has gone.
    watchdog = threading.Timer(limits.seconds + 5, os._exit, args=(124,))
    watchdog.daemon = True
    watchdog.start()


def _grade_here(exercise_id: str, source: str) -> Outcome:
    from autograder.engine.runner import run_checks

    try:
        result = run_checks(exercise_id, source, hidden=True)
    except BaseException as error:  # every failure becomes a reported reason
        return ("error", f"{type(error).__name__}: {error}")
    return ("result", result.to_json(include_tracebacks=False))


def _new_interpreter_main() -> int:
    """``python -m autograder.classroom.sandbox``: grade the job on stdin, print the outcome."""
    job = json.loads(sys.stdin.read())
    result_channel = os.fdopen(os.dup(1), "w")
    _confine(Limits(seconds=job["seconds"], memory_mb=job["memory_mb"]))
    outcome = _grade_here(job["exercise"], job["source"])
    result_channel.write(json.dumps(outcome))
    result_channel.flush()
    os._exit(0)


if __name__ == "__main__":
    _new_interpreter_main()
