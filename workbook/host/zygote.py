"""The zygote: imports once, then forks a fresh answer process for every answer it is given.

It listens on a control socket it inherits (``--control-fd``). Every command is one
connection: the checks send one byte with the file descriptors attached (the answer's
listening socket and the report pipe's write end), then a JSON object, then close their
side; the zygote answers with one line of JSON.

- ``{"op": "ping"}``
- ``{"op": "start", "id": ..., "exercise": ..., "source": ... | "files": ..., "entry": ...,
  "env": {...}, "relays": {...}, "memory_mb": ..., "cpu_seconds": ..., "workdir": ...}``
- ``{"op": "stop", "id": ..., "grace": seconds}``: SIGTERM to the answer's process group, then
  SIGKILL; inside a sandbox, every process but the zygote and the sandbox's init is killed too,
  so nothing an answer started outlives it.

Inside a sandbox (``--confined``, and the sandbox's init is our parent) the zygote also keeps
the number of processes under ``--max-processes``: over it, everything but itself is killed.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import os
import select
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any

PRELOAD = (
    "fastapi", "fastapi.responses", "fastapi.security", "fastapi.middleware.cors",
    "starlette.middleware.base", "pydantic", "pydantic_settings", "email_validator",
    "uvicorn", "uvicorn.protocols.http.h11_impl", "uvicorn.lifespan.on", "uvicorn.loops.asyncio",
    "httpx", "requests", "anyio", "anyio._backends._asyncio", "sqlalchemy",
    "sqlalchemy.ext.asyncio", "aiosqlite", "blockbuster", "workbook.upstreams", "workbook.fakes",
    "workbook.host.answer",
)  # fmt: skip
MAX_COMMAND_BYTES = 16 * 1024 * 1024
POLL_SECONDS = 0.02


def preload() -> None:
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    _warm_up()
    gc.freeze()  # keep what is loaded out of the children's collections (and their pages shared)


_WARM_UP = """
from typing import Annotated
from fastapi import FastAPI, Query
from pydantic import BaseModel, Field

class Item(BaseModel):
    name: Annotated[str, Field(min_length=1)]
    price: float | None = None

app = FastAPI()

@app.get("/items")
async def items(limit: Annotated[int, Query(ge=1)] = 10) -> list[Item]:
    return [Item(name="x")] * limit

app.openapi()
"""


def _warm_up() -> None:
    """Build and describe one small app, so that first-use caches are filled before forking."""
    with contextlib.suppress(Exception):  # a faster start is all this buys
        exec(compile(_WARM_UP, "<zygote warm-up>", "exec"), {"__name__": "zygote_warm_up"})


@dataclass
class Zygote:
    control: socket.socket
    confined: bool
    max_processes: int
    # The sandbox cgroup's pids.events, inherited (cgroups.Group.join_command): forks its
    # limit refused. None where there is no such group.
    pids_events: int | None = None
    running: dict[str, int] = field(default_factory=dict)  # answer id -> pid
    notes: dict[str, str] = field(default_factory=dict)  # answer id -> why it was killed
    ended: dict[int, int] = field(default_factory=dict)  # pid -> wait status, once reaped
    # What /tmp held before any answer ran: the folders that lead to read-only binds.
    kept: set[str] = field(default_factory=lambda: set(os.listdir("/tmp")))
    forks_refused: int = 0  # pids.events' count when last looked at

    def __post_init__(self) -> None:
        self.forks_refused = _forks_refused(self.pids_events)

    def serve(self) -> None:
        parent = os.getppid()
        while True:
            # Whoever started us is gone (a kernel shut down, a grader killed): nobody will ask
            # for answers again. (PR_SET_PDEATHSIG would fire when the starting *thread* ends.)
            if os.getppid() != parent:
                return
            self._reap()
            if self.confined and self.running:
                self._keep_processes_bounded()
            ready, _, _ = select.select([self.control], [], [], POLL_SECONDS)
            if not ready:
                continue
            try:
                connection, _ = self.control.accept()
            except OSError:
                continue
            with connection:
                if self._handle(connection) == "shutdown":
                    return

    def _handle(self, connection: socket.socket) -> str:
        connection.settimeout(10)
        try:
            _, fds, _, _ = socket.recv_fds(connection, 1, 4)
            chunks, size = [], 0
            while chunk := connection.recv(65536):
                size += len(chunk)
                if size > MAX_COMMAND_BYTES:
                    raise ValueError("command too large")
                chunks.append(chunk)
            command = json.loads(b"".join(chunks))
        except (OSError, ValueError) as error:
            _reply(connection, {"ok": False, "error": f"unreadable command: {error}"})
            return ""
        op = command.get("op")
        try:
            if op == "ping":
                reply: dict[str, Any] = {"ok": True, "pid": os.getpid()}
            elif op == "start":
                reply = self._start(command, fds, connection)
            elif op == "stop":
                reply = self._stop(str(command.get("id")), float(command.get("grace", 3)))
            elif op == "shutdown":
                _reply(connection, {"ok": True})
                return "shutdown"
            else:
                reply = {"ok": False, "error": f"unknown op {op!r}"}
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
        _reply(connection, reply)
        return ""

    def _start(
        self, command: dict[str, Any], fds: list[int], connection: socket.socket
    ) -> dict[str, Any]:
        if len(fds) != 2:
            return {"ok": False, "error": "start needs the app socket and the report pipe"}
        answer_id = str(command["id"])
        if not self.running:  # forks refused before this answer are none of its doing
            self.forks_refused = _forks_refused(self.pids_events)
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                self.control.close()
                connection.close()  # the checks wait for this connection's end
                from workbook.host.answer import run

                run(command, socket.socket(fileno=fds[0]), fds[1])
            finally:
                os._exit(70)
        self.running[answer_id] = pid
        return {"ok": True}

    def _stop(self, answer_id: str, grace: float) -> dict[str, Any]:
        if answer_id in self.running and self.confined:
            # A bomb may have grown since the last poll: a stop that arrives before the next
            # one (a busy machine runs our poll late) would otherwise find only an answer that
            # ends when asked, its processes killed with it, and no note of the bomb.
            self._keep_processes_bounded()
        pid = self.running.pop(answer_id, None)
        note = self.notes.pop(answer_id, "")
        if pid is None:
            return {"ok": True, "exit": note or "not running"}
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        status = self._wait(pid, grace)
        if status is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            status = self._wait(pid, 5)
        killed = 0
        # Once no answer runs: a check may run a second answer beside the first (the same code
        # with dependencies overridden), and what the first still uses must not go with it.
        if self.confined and not self.running:
            killed = self._kill_leftovers()
            _empty("/tmp", keep=self.kept)  # the next answer finds nothing this one left behind
        return {"ok": True, "exit": note or _describe(status), "leftovers_killed": killed}

    def _kill_leftovers(self) -> int:
        """Everything in the sandbox but its init and this zygote: what answers left behind."""
        others = _processes_besides_us()
        if others:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(-1, signal.SIGKILL)
            self._reap()
        return len(others)

    def _keep_processes_bounded(self) -> None:
        refused = _forks_refused(self.pids_events)
        # The cgroup's own limit (it counts threads too) may refuse forks before there are
        # more than max_processes: a bomb all the same, noted the same, whenever it was seen.
        if refused <= self.forks_refused and len(_processes_besides_us()) <= self.max_processes:
            return
        self.forks_refused = refused
        for answer_id in self.running:
            self.notes[answer_id] = (
                f"it started more than {self.max_processes} processes, so every one was killed"
            )
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(-1, signal.SIGKILL)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.running.values():
                self.ended[pid] = status

    def _wait(self, pid: int, seconds: float) -> int | None:
        """The answer's wait status, once it has ended; None if it outlives ``seconds``."""
        deadline = time.monotonic() + seconds
        while pid not in self.ended:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break
            if done:
                return status
            if time.monotonic() > deadline:
                return None
            time.sleep(0.005)
        return self.ended.pop(pid, 0)


def _lock_down() -> None:
    """No permission changes from here on (``workbook.host.lockdown``); where seccomp cannot
    be had, the data folders' mode bits are all that is left, and the host's log says so."""
    from workbook.host.lockdown import LockdownUnavailable, refuse_permission_changes

    try:
        refuse_permission_changes()
    except LockdownUnavailable as error:
        sys.stderr.write(f"the answer host: permission changes are not refused: {error}\n")


def _empty(directory: str, keep: set[str]) -> None:
    for entry in os.scandir(directory):
        if entry.name in keep:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _pids_events_fd() -> int | None:
    """The descriptor on the sandbox cgroup's pids.events that we inherited, if any."""
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{name}").endswith("/pids.events"):
                fd = int(name)
                os.set_inheritable(fd, False)
                return fd
    return None


def _forks_refused(fd: int | None) -> int:
    """How many forks the cgroup's process limit has refused so far (0 if unknown)."""
    if fd is None:
        return 0
    with contextlib.suppress(OSError, ValueError):
        for line in os.pread(fd, 256, 0).decode().splitlines():
            key, _, value = line.partition(" ")
            if key == "max":
                return int(value)
    return 0


def _processes_besides_us() -> list[int]:
    me = os.getpid()
    return [
        int(entry) for entry in os.listdir("/proc") if entry.isdigit() and int(entry) not in (1, me)
    ]


def _describe(status: int | None) -> str:
    if status is None:
        return "it did not end"
    if os.WIFSIGNALED(status):
        return f"it was killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"it exited with status {os.WEXITSTATUS(status)}"


def _reply(connection: socket.socket, reply: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):
        connection.sendall((json.dumps(reply) + "\n").encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbook.host")
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--confined", action="store_true")
    parser.add_argument("--max-processes", type=int, default=64)
    args = parser.parse_args(argv)
    # Only a zygote whose parent is a sandbox's init may kill "everything but itself".
    confined = args.confined and os.getppid() == 1
    if args.confined:
        # Before anything of an answer's runs: every answer is forked from here and inherits
        # it, and the zygote itself refuses too, should an answer get it to act for it.
        _lock_down()
    preload()
    control = socket.socket(fileno=args.control_fd)
    control.setblocking(False)
    # The checks' own stdout is no place for an answer's output or a library's chatter.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(devnull, fd)
    os.close(devnull)
    events = _pids_events_fd() if confined else None
    Zygote(control, confined, args.max_processes, pids_events=events).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
