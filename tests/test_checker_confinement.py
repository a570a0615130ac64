"""The checker's own confinement: what a process checking an answer can see and reach."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import select
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from autograder import registry
from autograder.classroom.checker import (
    Limits,
    SubmissionSandbox,
    _check_here,
    _in_new_interpreter,
    grade_exercise,
)
from autograder.classroom.checker_confinement import confine_checker
from autograder.engine.results import ExerciseResult
from autograder.engine.runner import run_checks
from tests.conftest import in_ci


@pytest.fixture(scope="session")
def root() -> None:
    """Building the checker's view needs root, as classroom grading has on CI and graders."""
    if os.geteuid() == 0:
        return
    if in_ci():
        pytest.fail("CI grades as root; the checker's confinement cannot be tested here")
    pytest.skip("the checker's confinement needs root (see test_without_root_...)")


CHILD_SECONDS = 120.0  # a check of one exercise takes seconds; only a hang reaches this


def read_until_the_child_ends(reader: int, pid: int, seconds: float) -> bytes:
    """What the child wrote, read while it runs (so a long answer never fills the pipe), until
    it ends; not until end of file, which a process the child started may hold off for ever.
    A child still running after ``seconds`` is killed and the test fails, saying so."""
    chunks, deadline = [], time.monotonic() + seconds
    try:
        while True:
            ready, _, _ = select.select([reader], [], [], 0.2)
            if ready:
                chunk = os.read(reader, 1 << 16)
                if not chunk:  # every writer gone: the child has ended
                    os.waitpid(pid, 0)
                    return b"".join(chunks)
                chunks.append(chunk)
                continue
            ended, _ = os.waitpid(pid, os.WNOHANG)
            if ended:
                os.set_blocking(reader, False)
                with contextlib.suppress(BlockingIOError):
                    while chunk := os.read(reader, 1 << 16):
                        chunks.append(chunk)
                return b"".join(chunks)
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pytest.fail(f"the forked child did not finish within {seconds:.0f} s")
    finally:
        os.close(reader)


def in_fresh_child(probe: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``probe`` in a forked child, as a checker is forked; what it found, as JSON."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(reader)
            found = probe()
        except BaseException as error:
            found = {"error": f"{type(error).__name__}: {error}"}
        os.write(writer, json.dumps(found).encode())
        os._exit(0)
    os.close(writer)
    data = read_until_the_child_ends(reader, pid, CHILD_SECONDS)
    found = json.loads(data)
    assert "error" not in found, found["error"]
    return found


class Canary:
    """A service on the machine's loopback that only the grading machine could reach."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.requests.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"CANARY")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def canary() -> Iterator[Canary]:
    service = Canary()
    yield service
    service.server.shutdown()
    service.server.server_close()


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A course as nbgrader's working directory, this submission's host and another's."""
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    (course / "source" / "reference.ipynb").write_text("THE REFERENCE")
    (course / "gradebook.db").write_text("GRADES")
    host = Path(tempfile.mkdtemp(prefix="workbook-host-"))
    (host / "data").mkdir()
    other = Path(tempfile.mkdtemp(prefix="workbook-host-"))
    (other / "data").mkdir()
    (other / "data" / "library.sqlite").write_text("ANOTHER STUDENT'S DATABASE")
    monkeypatch.chdir(course)
    return {"course": course, "host": host, "other": other}


def test_the_checker_sees_its_own_host_and_the_project_but_not_the_course(root, layout):
    course, host, other = layout["course"], layout["host"], layout["other"]
    project = registry.project_root()

    def probe() -> dict[str, Any]:
        confinement = confine_checker(host)
        (host / "data" / "written.txt").write_text("the checker may write its host's data")
        Path("scratch.txt").write_text("its own working directory is writable")
        return {
            "confined": confinement.confined,
            "reason": confinement.reason,
            "cwd": os.getcwd(),
            "cwd_entries": sorted(os.listdir(".")),
            "course_seen": (course / "source" / "reference.ipynb").exists()
            or (course / "gradebook.db").exists(),
            "other_seen": (other / "data" / "library.sqlite").exists(),
            "project_seen": (project / "autograder" / "engine" / "runner.py").is_file(),
            "solutions_seen": registry.solutions_dir().is_dir(),
            "etc_shadow_seen": Path("/etc/shadow").exists(),
        }

    found = in_fresh_child(probe)
    assert found["confined"], found["reason"]
    assert found["cwd"] != str(course)
    assert found["cwd_entries"] == ["scratch.txt"]  # empty but for what the checks wrote
    assert not found["course_seen"]
    assert not found["other_seen"]
    assert found["project_seen"] and found["solutions_seen"]
    assert not found["etc_shadow_seen"]
    assert (host / "data" / "written.txt").read_text().startswith("the checker")
    assert not (course / "scratch.txt").exists()


def test_the_checker_has_its_own_loopback_and_unix_sockets_only(root, layout, canary):
    host = layout["host"]
    answer_socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    answer_socket.bind(str(host / "answer.sock"))
    answer_socket.listen(1)
    accepted: list[bytes] = []

    def answer() -> None:
        connection, _ = answer_socket.accept()
        with connection:
            accepted.append(connection.recv(16))

    threading.Thread(target=answer, daemon=True).start()

    def probe() -> dict[str, Any]:
        confinement = confine_checker(host)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as to_answer:
            to_answer.connect(str(host / "answer.sock"))
            to_answer.sendall(b"hello answer")
        listener = socket.create_server(("127.0.0.1", 0))  # where the fake services listen
        with socket.create_connection(listener.getsockname(), timeout=2):
            own_loopback = True
        try:
            socket.create_connection(("127.0.0.1", canary.port), timeout=2).close()
            canary_reached = True
        except OSError:
            canary_reached = False
        try:
            socket.create_connection(("1.1.1.1", 80), timeout=2).close()
            network = True
        except OSError:
            network = False
        return {
            "confined": confinement.confined,
            "own_loopback": own_loopback,
            "canary_reached": canary_reached,
            "network": network,
        }

    found = in_fresh_child(probe)
    assert found["confined"]
    assert found["own_loopback"]
    assert not found["canary_reached"] and canary.requests == []
    assert not found["network"]
    answer_socket.close()
    assert accepted == [b"hello answer"]


def test_a_checker_that_cannot_be_confined_says_so_and_keeps_its_view(layout):
    """Namespaces are per thread: a checker that started one is left as it was, and says why."""

    def probe() -> dict[str, Any]:
        waiting = threading.Event()
        threading.Thread(target=waiting.wait, daemon=True).start()
        confinement = confine_checker(layout["host"])
        waiting.set()
        return {
            "confined": confinement.confined,
            "note": confinement.note(),
            "cwd": os.getcwd(),
        }

    found = in_fresh_child(probe)
    assert not found["confined"]
    assert "without a confinement of their own" in found["note"]
    reason = "not root" if os.geteuid() != 0 else "started threads"
    assert reason in found["note"]
    assert found["cwd"] == str(layout["course"])


@pytest.mark.usefixtures("bubblewrap")
def test_a_reference_graded_by_a_confined_checker_scores_full_without_a_note(root):
    """The checker's view holds what checking needs: the reference keeps every row."""
    exercise = registry.load().exercise("api-status-codes")  # schemathesis, sandboxed reference
    result = grade_exercise(exercise.id, exercise.reference_source())
    assert result.passed, [check.message for check in result.failures()]
    assert result.notes == []


@pytest.mark.usefixtures("bubblewrap")
def test_a_checker_started_as_a_new_interpreter_is_confined_too(root):
    """Under a daemonic dask worker each checker is a new interpreter: the same view."""
    exercise = registry.load().exercise("api-status-codes")
    with SubmissionSandbox(confined=True) as sandbox:
        assert sandbox.handle is not None
        outcome = _in_new_interpreter(
            exercise.id, exercise.reference_source(), Limits(), sandbox.handle
        )
    kind, payload = outcome
    assert kind == "result", payload
    result = ExerciseResult.from_json(payload)
    assert result.passed and result.notes == []


@pytest.mark.usefixtures("bubblewrap")
def test_checks_that_ran_unconfined_say_so_in_the_result(layout):
    exercise = registry.load().exercise("async-sleep")
    with SubmissionSandbox(confined=True) as sandbox:
        assert sandbox.handle is not None
        job = {"exercise": exercise.id, "source": exercise.reference_source(),
               "limits": asdict(Limits()), "host": asdict(sandbox.handle)}  # fmt: skip

        def probe() -> dict[str, Any]:
            threading.Thread(target=threading.Event().wait, args=(5,), daemon=True).start()
            return {"outcome": _check_here(job)}

        kind, payload = in_fresh_child(probe)["outcome"]
    assert kind == "result", payload
    result = ExerciseResult.from_json(payload)
    assert result.passed
    assert any("without a confinement of their own" in note for note in result.notes)


def test_checks_run_in_a_child_forked_after_checks_ran_in_its_parent():
    # The parent's checks thread exists after its first run; a forked child has no such thread
    # and must make its own, or its checks wait for ever (grading forks its checkers).
    exercise = registry.load().exercise("pydantic-modern-types")
    assert run_checks(exercise.id, exercise.reference_source()).passed

    def probe() -> dict[str, Any]:
        return {"passed": run_checks(exercise.id, exercise.reference_source()).passed}

    assert in_fresh_child(probe) == {"passed": True}
