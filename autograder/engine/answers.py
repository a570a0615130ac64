"""Answer processes, seen from the checks: started on a host, reached over a socket, stopped.

An ``AnswerHost`` is one zygote (``workbook.host``) and the way it was launched: as a plain
process beside the notebook kernel, or inside a sandbox (``autograder.classroom.sandbox``
provides that launcher). ``host.start_answer(...)`` gives a ``RunningAnswer``: the path of the
Unix socket its app listens on, which only the checks' side can reach, and its report. An
exercise served over TCP (the registry's ``served_over``) listens on loopback instead, with
uvicorn's own proxy headers and Server header off (``RunningAnswer.url``).

The socket and the report pipe are created here and handed over as file descriptors, so the
answer never needs to write anywhere the checks read from.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from autograder.engine.report import AnswerReport
from workbook.host.protocol import PROBE_PATH

CONTROL_TIMEOUT_SECONDS = 15.0
HOST_START_TIMEOUT_SECONDS = 60.0


class HostUnavailable(RuntimeError):
    """The zygote could not be started or stopped answering; the message says why."""


class ProcessGroup(Protocol):
    """A kernel group (a cgroup) the zygote is started in; ``remove`` kills what is left."""

    def join_command(self, command: list[str]) -> list[str]: ...

    def remove(self) -> None: ...


class Launcher(Protocol):
    """How a zygote is started: the command, and whether it runs confined."""

    confined: bool

    def command(self, control_fd: int) -> list[str]: ...

    def cgroup(self) -> ProcessGroup | None:
        """A new group for one zygote and all it starts (None: the zygote runs without one)."""
        ...

    def relay_path(self, service_socket: Path) -> str | None:
        """Where a confined answer finds a service's Unix socket (None: it uses TCP)."""
        ...

    def data_path(self, host_path: Path) -> str:
        """Where the answer sees a file of the host's data folder (``AnswerHost.data_folder``)."""
        ...

    def for_directory(self, directory: Path) -> Launcher:
        """The same kind of launcher for another host, whose folder is ``directory``."""
        ...


@dataclass(frozen=True)
class PlainLauncher:
    """A zygote as a plain child process: for the notebook and the command line."""

    confined: bool = False

    def command(self, control_fd: int) -> list[str]:
        return [sys.executable, "-m", "workbook.host", f"--control-fd={control_fd}"]

    def cgroup(self) -> ProcessGroup | None:
        return None

    def relay_path(self, service_socket: Path) -> str | None:
        return None

    def data_path(self, host_path: Path) -> str:
        return str(host_path)

    def for_directory(self, directory: Path) -> PlainLauncher:
        return self


@dataclass
class AnswerSpec:
    """One answer to start: a cell's source, or a package of files with an entry module."""

    exercise_id: str
    source: str = ""
    files: dict[str, str] = field(default_factory=dict)
    entry: str = ""
    env: dict[str, str] = field(default_factory=dict)
    relays: dict[str, str] = field(default_factory=dict)  # service -> Unix socket (sandbox path)
    # Dependencies to replace before serving: name -> what replaces it (workbook.host.overrides)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    env_file: str = ""  # written as `.env` in the folder the app starts in
    # Build the app(s) with this factory instead of reading `app`; several copies are served
    # together, a request picking one with the APP_CHOICE_HEADER header (1, 2, ...).
    factory: str = ""
    copies: int = 1
    # Before serving, run the app's lifespan this many times, one GET `path` in each.
    lifespan_cycles: dict[str, Any] = field(default_factory=dict)
    memory_mb: int = 2048
    cpu_seconds: int = 60
    # "unix" or "tcp" (``Exercise.served_over``); empty: the exercise's registry entry says.
    served_over: str = ""


def served_over(spec: AnswerSpec) -> str:
    """How ``spec``'s app is served: its own setting, else its exercise's, else "unix"."""
    if spec.served_over:
        return spec.served_over
    from autograder import registry

    try:
        return registry.load().exercise(spec.exercise_id).served_over
    except (KeyError, registry.RegistryError):  # an exercise the registry does not know
        return "unix"


@dataclass
class RunningAnswer:
    id: str
    socket_path: Path
    report: AnswerReport
    host: AnswerHost
    stop_note: str = ""  # what the zygote said when the answer was stopped
    # Set when the app was handed a TCP socket (``serve``, or ``served_over == "tcp"``)
    # instead of a Unix one: http://127.0.0.1:PORT.
    url: str = ""
    # The listening socket's inode: the kernel names the answer's processes by it (answer_cpu).
    socket_inode: int = 0

    def probe(self, timeout: float) -> bool:
        """True when the app's event loop answers the host's probe within ``timeout``."""
        if self.url:
            transport, base = httpx.HTTPTransport(verify=False), self.url
        else:
            transport, base = (
                httpx.HTTPTransport(uds=str(self.socket_path), verify=False),
                "http://answer",
            )
        try:
            with httpx.Client(transport=transport, timeout=timeout) as client:
                return client.get(f"{base}{PROBE_PATH}").status_code == 204
        except httpx.HTTPError:
            return False

    def wait_until_serving(self, timeout: float) -> bool:
        """Trusted: the app answered over its socket. The report only says when to look."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.report.wait_until(lambda: self.report.serving, 0.05)
            if self.probe(timeout=min(1.0, max(0.05, deadline - time.monotonic()))):
                return True
            if self.report.ended or self.report.load_error is not None:
                # Gone or failed; one last look in case the report is lying about it.
                return self.probe(timeout=0.2)
            time.sleep(0.005)
        return False

    def stop(self, grace: float = 3.0) -> None:
        self.stop_note = self.host.stop_answer(self, grace)


DATA_FOLDER_MODE = 0o300  # its owner may enter it and make folders in it, but not list it


class AnswerHost:
    """One zygote that forks an answer process per ``start_answer``.

    The process that starts the zygote owns it (``start``, ``close``). Another process can
    use a running zygote through ``attach``: classroom grading starts one per submission in
    the grader, and each answer's checks run in a fresh process that attaches to it.
    """

    def __init__(self, launcher: Launcher | None = None, *, directory: Path | None = None) -> None:
        self.launcher: Launcher = launcher or PlainLauncher()
        self.owner = directory is None
        self.directory = directory or Path(tempfile.mkdtemp(prefix="workbook-host-"))
        self._process: subprocess.Popen[bytes] | None = None
        self.cgroup: ProcessGroup | None = None  # the zygote's group, once started in one
        self._ids = itertools.count(1)
        self._token = secrets.token_hex(3)  # answer ids stay unique across attached processes
        self._lock = threading.Lock()

    @classmethod
    def attach(cls, directory: Path, launcher: Launcher) -> AnswerHost:
        return cls(launcher, directory=directory)

    @property
    def confined(self) -> bool:
        return self.launcher.confined

    def separate(self) -> AnswerHost:
        """A started host of its own, confined as this one is: for code that must not share a
        sandbox with this host's answers. The reference, served beside a learner's answer,
        runs there: in the same sandbox the answer could read its memory or stop it."""
        host = AnswerHost(self.launcher)
        (host.directory / "data").mkdir()
        host.launcher = self.launcher.for_directory(host.directory)
        try:
            host.start().wait_ready()
        except BaseException:
            host.close()
            raise
        return host

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> AnswerHost:
        if not self.owner:
            return self
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                return self
            control_path = self.directory / "control.sock"
            control_path.unlink(missing_ok=True)
            control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            control.bind(str(control_path))
            control.listen(16)
            stderr = open(self.directory / "host.log", "wb")
            command = self.launcher.command(control.fileno())
            self._remove_cgroup()  # a zygote that ended: what it left is killed with its group
            self.cgroup = self.launcher.cgroup()
            if self.cgroup is not None:
                command = self.cgroup.join_command(command)
            try:
                self._process = subprocess.Popen(
                    command,
                    pass_fds=[control.fileno()],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    start_new_session=True,  # its whole group is ended with it
                )
            except OSError as error:
                self._remove_cgroup()
                raise HostUnavailable(f"the answer host could not start: {error}") from error
            finally:
                control.close()
                stderr.close()
        return self

    def wait_ready(self, timeout: float = HOST_START_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.owner and (self._process is None or self._process.poll() is not None):
                raise HostUnavailable(f"the answer host ended at start-up: {self.log_tail()}")
            try:
                if self._call({"op": "ping"}, timeout=1.0).get("ok"):
                    return
            except HostUnavailable:
                time.sleep(0.02)
        raise HostUnavailable(f"the answer host did not start within {timeout:g} s")

    def alive(self) -> bool:
        """The zygote answers on its control socket (a stopped one does not)."""
        if self.owner and (self._process is None or self._process.poll() is not None):
            return False
        try:
            return bool(self._call({"op": "ping"}, timeout=2.0).get("ok"))
        except HostUnavailable:
            return False

    def close(self) -> None:
        if not self.owner:
            return
        process, self._process = self._process, None
        if process is not None:
            with contextlib.suppress(HostUnavailable):
                self._call({"op": "shutdown"}, timeout=1.0)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)
        self._remove_cgroup()  # kills whatever left the zygote's process group (setsid)
        with contextlib.suppress(OSError):
            (self.directory / "data").chmod(0o700)  # listable again, to be removed
        shutil.rmtree(self.directory, ignore_errors=True)

    def _remove_cgroup(self) -> None:
        group, self.cgroup = self.cgroup, None
        if group is not None:
            group.remove()

    def log_tail(self, limit: int = 1500) -> str:
        try:
            text = (self.directory / "host.log").read_bytes()[-limit:].decode(errors="replace")
        except OSError:
            return "(no log)"
        return " ".join(text.split()) or "(nothing in its log)"

    # --- answers ----------------------------------------------------------------------------

    def data_folder(self) -> tuple[Path, str]:
        """A new folder the answer can write (its database lives there) and the checks can read
        afterwards: (its path here, its path as the answer sees it)."""
        data = self.directory / "data"
        data.mkdir(exist_ok=True)
        # Not listable, and each folder's name unguessable: an answer reaches its own folder
        # (its DATABASE_URL names it) and never another one, such as the database a check
        # hands to an overridden dependency (an answer that found it could use it directly).
        data.chmod(DATA_FOLDER_MODE)
        folder = data / f"d{secrets.token_hex(8)}"
        folder.mkdir()
        return folder, self.launcher.data_path(folder)

    def start_answer(
        self, spec: AnswerSpec, *, listening: socket.socket | None = None
    ) -> RunningAnswer:
        """Start ``spec``'s answer, serving on a new socket (Unix, or TCP on loopback for an
        exercise served over TCP), or on ``listening`` if given."""
        self.start()
        answer_id = f"a{self._token}-{next(self._ids)}"
        socket_path = self.directory / f"{answer_id}.sock"
        url = ""
        over_tcp = served_over(spec) == "tcp"
        if listening is None and over_tcp:
            # Made here, in the checks' network: only they reach it (a confined answer has no
            # network of its own and never binds a socket).
            listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listening.bind(("127.0.0.1", 0))
            listening.listen(128)
        if listening is None:
            listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listening.bind(str(socket_path))
            listening.listen(128)
        else:
            host, port = listening.getsockname()[:2]
            url = f"http://{host}:{port}"
        socket_inode = os.fstat(listening.fileno()).st_ino
        read_end, write_end = os.pipe()
        command: dict[str, Any] = {
            "op": "start",
            "id": answer_id,
            "exercise": spec.exercise_id,
            "env": {**_answer_env(), **spec.env},
            "relays": spec.relays,
            "overrides": spec.overrides,
            "env_file": spec.env_file,
            "factory": spec.factory,
            "copies": spec.copies,
            "lifespan_cycles": spec.lifespan_cycles,
            "memory_mb": spec.memory_mb,
            "cpu_seconds": spec.cpu_seconds,
        }
        if over_tcp:
            # The app decides alone whom to trust and what it says about itself.
            command["uvicorn"] = {"proxy_headers": False, "server_header": False}
        if spec.files:
            command |= {"files": spec.files, "entry": spec.entry}
        else:
            command["source"] = spec.source
        # Inside a sandbox /tmp is the answer's own scratch space, emptied after each answer.
        workdir = f"/tmp/{answer_id}" if self.confined else str(self.directory / answer_id)
        command["workdir"] = workdir
        try:
            reply = self._call(command, fds=[listening.fileno(), write_end])
        finally:
            listening.close()  # the answer holds it now; when the answer ends, it closes
            os.close(write_end)
        report = AnswerReport(read_end)
        if not reply.get("ok"):
            raise HostUnavailable(f"the answer host refused to start an answer: {reply}")
        return RunningAnswer(
            answer_id, socket_path, report, self, url=url, socket_inode=socket_inode
        )

    def stop_answer(self, answer: RunningAnswer, grace: float) -> str:
        try:
            reply = self._call({"op": "stop", "id": answer.id, "grace": grace}, timeout=grace + 10)
        except HostUnavailable as error:
            return f"the answer host did not answer ({error})"
        finally:
            answer.socket_path.unlink(missing_ok=True)
        answer.report.wait_until(lambda: answer.report.ended, 1.0)
        return str(reply.get("exit", ""))

    def _call(
        self, command: dict[str, Any], *, fds: list[int] | None = None, timeout: float = 0
    ) -> dict[str, Any]:
        """One command on the control socket; the reply is JSON, capped and checked."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(timeout or CONTROL_TIMEOUT_SECONDS)
                connection.connect(str(self.directory / "control.sock"))
                socket.send_fds(connection, [b"C"], fds or [])
                connection.sendall(json.dumps(command).encode())
                connection.shutdown(socket.SHUT_WR)
                reply = b""
                while b"\n" not in reply and len(reply) < 65536:
                    if not (chunk := connection.recv(65536)):
                        break
                    reply += chunk
        except OSError as error:
            raise HostUnavailable(f"no answer on its control socket ({error})") from error
        try:
            answer = json.loads(reply)
        except ValueError as error:
            raise HostUnavailable("its reply was not JSON") from error
        if not isinstance(answer, dict):
            raise HostUnavailable("its reply was not a JSON object")
        return answer


def answer_code(cell_source: str) -> str:
    """The Python of an exercise cell. Its ``%%exercise`` line stays, as a comment, so that
    every line number a check names is the line the learner's editor shows."""
    first, newline, rest = cell_source.partition("\n")
    if first.lstrip().startswith("%%exercise"):
        return f"# {first.strip()}{newline}{rest}"
    return cell_source


def _answer_env() -> dict[str, str]:
    """The whole environment an answer gets: nothing of the checks' own settings."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }


_default_host: AnswerHost | None = None
_default_lock = threading.Lock()


def default_host() -> AnswerHost:
    """The process's own unconfined host (the notebook kernel's, the command line's)."""
    global _default_host  # noqa: PLW0603 - one zygote per process, started on first use
    with _default_lock:
        if _default_host is None or not _default_host.alive():
            if _default_host is not None:
                _default_host.close()
            _default_host = AnswerHost().start()
            atexit.register(_default_host.close)
            _default_host.wait_ready()
        return _default_host
