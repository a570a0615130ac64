"""Grade a submission's answers: each answer's checks in a fresh trusted process, each
submission's answers in a sandbox of its own.

Two kinds of process take part, and they never share one:

- the **checker** (trusted): a fresh process per answer that holds the checks, the hidden
  checks, the reference app, the fake upstream services and the verdict. It is forked from a
  multiprocessing fork server that has already imported FastAPI, pytest and Hypothesis (a new
  interpreter where forking is not allowed, as in a daemonic dask worker), and it never runs
  the learner's code;
- the **answer process** (untrusted): forked by the submission's zygote inside bubblewrap
  (``autograder.classroom.sandbox``). Only HTTP on a Unix socket and the schema-checked report
  cross back.

``SubmissionSandbox`` starts one zygote per submission and starts a fresh one after an answer
that had to be stopped from outside, so nothing an answer left behind meets the next one.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cache
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from autograder.classroom import cgroups
from autograder.classroom.checker_confinement import confine_checker
from autograder.classroom.sandbox import UNCONFINED_NOTE, BubblewrapLauncher
from autograder.engine import starvation
from autograder.engine.answers import AnswerHost, Launcher, PlainLauncher
from autograder.engine.results import CheckResult, ExerciseResult

# Imported once in the fork server, so that each checker starts warm.
PRELOAD = [
    "autograder.engine.runner",
    "autograder.engine.clients",
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
    "pydantic.v1",
    "anyio._backends._asyncio",
    "asgi_lifespan",
    "autograder.classroom.forkserver_warmup",  # last: it freezes what the imports above loaded
]


@dataclass(frozen=True)
class Limits:
    seconds: float = 30.0
    memory_mb: int = 2048  # each answer process's address space
    # The checker's own memory (its cgroup; its address space where there is no cgroup): a
    # checker normally peaks at 0.15 to 0.3 GiB, so an answer that makes it inflate a body or
    # hold endless data costs that checker its grade, and nobody else anything.
    checker_memory_mb: int = 1024
    checker_address_space_mb: int = 4096  # RLIMIT_AS fallback: threads reserve much unused

    def checker_share(self) -> cgroups.Share:
        return cgroups.Share(cpu_weight=100, memory_mb=self.checker_memory_mb, max_processes=512)


@dataclass(frozen=True)
class HostHandle:
    """What a checker needs to use a submission's zygote: plain data, JSON-able."""

    directory: str
    confined: bool
    upstream_dir: str
    data_dir: str

    def launcher(self) -> Launcher:
        if self.confined:
            return BubblewrapLauncher(Path(self.upstream_dir), Path(self.data_dir))
        return PlainLauncher()


class SubmissionSandbox:
    """One submission's zygote: confined by bubblewrap, or plain with ``confined=False``."""

    def __init__(self, *, confined: bool) -> None:
        self.confined = confined
        self.host: AnswerHost | None = None
        self.handle: HostHandle | None = None

    def __enter__(self) -> SubmissionSandbox:
        self.restart()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def restart(self) -> None:
        self.close()
        host = AnswerHost()
        upstream_dir = host.directory / "upstreams"
        upstream_dir.mkdir()
        data_dir = host.directory / "data"
        data_dir.mkdir()
        if self.confined:
            host.launcher = BubblewrapLauncher(upstream_dir, data_dir)
        host.start().wait_ready()
        self.host = host
        self.handle = HostHandle(
            str(host.directory), self.confined, str(upstream_dir), str(data_dir)
        )

    def close(self) -> None:
        if self.host is not None:
            self.host.close()
            self.host = None


def grade_answers(
    answers: list[tuple[str, str]], limits: Limits, *, confined: bool
) -> list[ExerciseResult]:
    """One submission's answers, graded one after another in its own sandbox."""
    results = []
    with SubmissionSandbox(confined=confined) as sandbox:
        for exercise_id, source in answers:
            # A timing row the machine starved is decided again, a bounded few times.
            for regrade in range(1 + starvation.REGRADES):
                if regrade:
                    time.sleep(REGRADE_PAUSE_SECONDS)
                assert sandbox.handle is not None
                outcome = _check_in_fresh_process(exercise_id, source, limits, sandbox.handle)
                result = _result_from(exercise_id, outcome, limits)
                if outcome[0] != "result" or sandbox.host is None or not sandbox.host.alive():
                    sandbox.restart()  # whatever that answer left running ends with its sandbox
                if not starvation.inconclusive_rows(result.checks):
                    break
            else:
                result.notes.append(STILL_INCONCLUSIVE_NOTE.format(times=1 + starvation.REGRADES))
            if not confined:
                result.notes.append(UNCONFINED_NOTE)
            elif cgroups.hierarchy() is None:
                result.notes.append(cgroups.UNAVAILABLE_NOTE.format(reason=cgroups.why_not()))
            results.append(result)
    return results


REGRADE_PAUSE_SECONDS = 1.0
STILL_INCONCLUSIVE_NOTE = (
    "A timing row stayed inconclusive in {times} gradings: the grading machine was too busy to "
    "time it fairly. It is marked as not decided, not as a failure of the answer; grade this "
    "submission again on a quieter machine (python -m autograder grade --force)."
)


def grade_exercise(
    exercise_id: str, source: str, limits: Limits | None = None, *, confined: bool = True
) -> ExerciseResult:
    """One answer, graded as a submission of its own."""
    return grade_answers([(exercise_id, source)], limits or Limits(), confined=confined)[0]


# --- the grader's side ----------------------------------------------------------------------------

# What came back from a checker: ("result", json) | ("error", text) | ("timeout", "")
# | ("died", exit description)
Outcome = tuple[str, Any]


def _check_in_fresh_process(
    exercise_id: str, source: str, limits: Limits, handle: HostHandle
) -> Outcome:
    if multiprocessing.current_process().daemon:
        return _in_new_interpreter(exercise_id, source, limits, handle)
    return _in_forked_process(exercise_id, source, limits, handle)


@cache
def _fork_context() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _in_forked_process(
    exercise_id: str, source: str, limits: Limits, handle: HostHandle
) -> Outcome:
    context = _fork_context()
    receiver, sender = context.Pipe(duplex=False)
    group = cgroups.new_group("checker", limits.checker_share())
    job = {"exercise": exercise_id, "source": source, "limits": asdict(limits),
           "host": asdict(handle), "cgroup": _procs_files(group)}  # fmt: skip
    process = context.Process(
        target=_forked_main,
        args=(sender, json.dumps(job)),
        name=f"grade {exercise_id}",
        daemon=True,
    )
    with _main_script_hidden():
        process.start()
    sender.close()
    try:
        if not receiver.poll(limits.seconds):
            return ("timeout", "")
        try:
            return _parse_outcome(receiver.recv_bytes(16 * 1024 * 1024))
        except (EOFError, OSError):
            process.join(5)
            return ("died", _describe_exit(process.exitcode))
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(5)
        if group is not None:
            group.remove()  # with anything the checker started that is still there


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


def _in_new_interpreter(
    exercise_id: str, source: str, limits: Limits, handle: HostHandle
) -> Outcome:
    group = cgroups.new_group("checker", limits.checker_share())
    job = json.dumps({"exercise": exercise_id, "source": source, "limits": asdict(limits),
                      "host": asdict(handle), "cgroup": _procs_files(group)})  # fmt: skip
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "autograder.classroom.checker"],
            input=job,
            capture_output=True,
            text=True,
            timeout=limits.seconds + 10,  # this path also pays for the interpreter's imports
            check=False,
        )
    except subprocess.TimeoutExpired:
        return ("timeout", "")
    finally:
        if group is not None:
            group.remove()
    try:
        return _parse_outcome(finished.stdout.encode())
    except ValueError:
        return ("died", _describe_exit(finished.returncode))


def _parse_outcome(data: bytes) -> Outcome:
    kind, payload = json.loads(data)
    if kind not in {"result", "error"}:
        raise ValueError(f"unknown outcome {kind!r}")
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
        try:
            return ExerciseResult.from_json(payload)
        except (TypeError, ValueError, KeyError) as error:
            kind, payload = "error", f"its result could not be read ({error})"
    if kind == "timeout":
        message = (
            f"Grading this exercise did not finish within {limits.seconds:g} s, so it was "
            "stopped: look for an endless loop, or code that waits for something that never "
            "comes, at the top level of the cell or in an endpoint."
        )
    elif kind == "error":
        message = f"The checks could not finish: {payload}."
    else:
        message = (
            f"The process grading this exercise ended before it reported ({payload}). This is "
            "a fault of the grader, not of the answer: grade it again."
        )
    row = CheckResult(
        name="grading finished",
        rule="sandbox",
        rule_text="An answer is graded in a process of its own, with time and memory limits.",
        status="failed",
        message=message,
        hint="Run the check cell in the notebook: it shows where the code stops.",
        kind="runs",
    )
    return ExerciseResult(exercise_id, checks=[row])


# --- the checker's side ---------------------------------------------------------------------------


def _procs_files(group: cgroups.Group | None) -> list[str]:
    return [str(path) for path in group.procs_files] if group is not None else []


def _confine_resources(job: dict[str, Any]) -> None:
    """Join the cgroup the grader made for this checker (before anything else runs here), or,
    without one, bound this process's address space."""
    joined = False
    for procs in job.get("cgroup", []):
        try:
            Path(procs).write_text(f"{os.getpid()}\n")
            joined = True
        except OSError:
            joined = False
            break
    if joined:
        cgroups.hierarchy()  # found now, while /sys is in view: the reference's sandbox needs it
    else:
        limit = Limits(**job["limits"]).checker_address_space_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or limit < hard:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _forked_main(sender: Connection, job: str) -> None:
    job_data = json.loads(job)
    _confine_resources(job_data)
    outcome = _check_here(job_data)
    sender.send_bytes(json.dumps(outcome).encode())
    sender.close()
    # Threads (the fake services, the reference's loop) may never stop; the result is sent.
    os._exit(0)


def _check_here(job: dict[str, Any]) -> Outcome:
    from autograder.engine.runner import run_checks
    from workbook.upstreams import FakeServices

    # The checks' own settings are fixed before any answer runs, and no answer runs here.
    handle = HostHandle(**job["host"])
    # First, while this process has one thread: the view and network it may use for checking.
    confinement = confine_checker(Path(handle.directory)) if handle.confined else None
    limits = Limits(**job["limits"])
    host = AnswerHost.attach(Path(handle.directory), handle.launcher())
    unix_dir = Path(handle.upstream_dir) / secrets.token_hex(4) if handle.confined else None
    try:
        services = FakeServices(unix_dir=unix_dir).start()
        result = run_checks(
            job["exercise"],
            job["source"],
            hidden=True,
            host=host,
            services=services,
            memory_mb=limits.memory_mb,
        )
        if confinement is not None and confinement.note():
            result.notes.append(confinement.note())
    except BaseException as error:  # every failure becomes a reported reason
        return ("error", f"{type(error).__name__}: {error}")
    return ("result", result.to_json(include_tracebacks=False))


def _new_interpreter_main() -> None:
    """``python -m autograder.classroom.checker``: check the job on stdin, print the outcome."""
    job = json.loads(sys.stdin.read())
    _confine_resources(job)
    result_channel = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    result_channel.write(json.dumps(_check_here(job)))
    result_channel.flush()
    os._exit(0)


if __name__ == "__main__":
    _new_interpreter_main()
