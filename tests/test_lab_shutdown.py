"""``python -m autograder lab`` (what ``make lab`` runs): where it opens, and Ctrl+C stops it.

Issue 19, items 6 and 11. Each test starts the lab as a learner does, headless, on a free port,
with its workspace, progress and Jupyter folders in tmp_path, and sends it SIGINT (what Ctrl+C
in the terminal sends). The lab and every process it started (the server, its kernels) must be
gone within seconds, even when the server would hang: a tiny server extension, put on the
server's path by the test, starts a thread that never ends (the collaboration extension's known
hang in ``threading._shutdown``) or makes the server deaf to the stop it is sent.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from autograder.learner import lab, progress_store
from autograder.registry import load, project_root

LOADED = load()
FIRST_LESSON, SECOND_LESSON = LOADED.lessons[0], LOADED.lessons[1]
SERVER_START_SECONDS = 60.0
KERNEL_START_SECONDS = 60.0
# What "within seconds" means here: the lab's own limit (STOP_GRACE_SECONDS) plus room for a
# busy machine. A server that does not stop is ended after the grace, so it gets more.
STOPS_WITHIN_SECONDS = 10.0
ENDED_WITHIN_SECONDS = lab.STOP_GRACE_SECONDS + 2 * lab.END_GRACE_SECONDS + 5.0

# Simulated hangs: server extensions the test writes into tmp_path and enables for its server.
HANGS = {
    "thread_never_ends": """
        import threading

        def _load_jupyter_server_extension(serverapp):
            # Not a daemon: Python waits for it in threading._shutdown, for ever.
            threading.Thread(target=threading.Event().wait, name="never-ends").start()
    """,
    "ignores_the_stop": """
        import signal

        def _load_jupyter_server_extension(serverapp):
            # After the server's own handlers: the SIGTERM the lab sends it does nothing.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
    """,
}


@dataclass
class RunningLab:
    process: subprocess.Popen[bytes]
    base_url: str
    token: str
    log_path: Path
    runtime_dir: Path

    def get(self, path: str, *, data: bytes | None = None) -> urllib.request.Request:
        separator = "&" if "?" in path else "?"
        return urllib.request.Request(
            f"{self.base_url}{path}{separator}token={self.token}",
            data=data,
            method="POST" if data is not None else "GET",
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _start_lab(tmp_path: Path, hang: str | None = None) -> RunningLab:
    jupyter = {name: tmp_path / "jupyter" / name for name in ("config", "data", "runtime")}
    env = {key: value for key, value in os.environ.items() if not key.startswith("JUPYTER")}
    env |= {
        "JUPYTER_CONFIG_DIR": str(jupyter["config"]),
        "JUPYTER_DATA_DIR": str(jupyter["data"]),
        "JUPYTER_RUNTIME_DIR": str(jupyter["runtime"]),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        progress_store.PROGRESS_ENV: str(tmp_path / "progress.sqlite3"),
        "WORKBOOK_WORKSPACE": str(tmp_path / "workspace"),
    }
    if hang is not None:
        module = f"workbook_test_hang_{hang}"
        extension_dir = tmp_path / "extension"
        extension_dir.mkdir()
        (extension_dir / f"{module}.py").write_text(textwrap.dedent(HANGS[hang]))
        enabled = tmp_path / "extension-config" / "jupyter_server_config.d" / f"{module}.json"
        enabled.parent.mkdir(parents=True)
        enabled.write_text(json.dumps({"ServerApp": {"jpserver_extensions": {module: True}}}))
        env["JUPYTER_CONFIG_PATH"] = str(enabled.parent.parent)  # after the lab's own config
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(extension_dir), env.get("PYTHONPATH")])
        )
    token = secrets.token_hex(16)
    log_path = tmp_path / "lab.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "autograder", "lab",
                "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={_free_port_hint()}",
                f"--IdentityProvider.token={token}",
                "--LabApp.extension_manager=readonly",
                f"--LabApp.workspaces_dir={tmp_path / 'lab-workspaces'}",
            ],
            cwd=project_root(),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the lab exited with {process.returncode}:\n{log_path.read_text()}")
        for info_file in jupyter["runtime"].glob("jpserver-*.json"):
            with contextlib.suppress(json.JSONDecodeError, OSError):
                info = json.loads(info_file.read_text())
                base_url = f"http://127.0.0.1:{info['port']}{info['base_url']}"
                running = RunningLab(process, base_url, token, log_path, jupyter["runtime"])
                with urllib.request.urlopen(running.get("api/status"), timeout=5):
                    return running
        time.sleep(0.2)  # the server offers no readiness signal but its answers
    process.kill()
    pytest.fail(
        f"the lab did not serve within {SERVER_START_SECONDS:.0f} s:\n{log_path.read_text()}"
    )


def _free_port_hint() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_a_kernel(running: RunningLab) -> None:
    """Start a kernel through the server's API; return once it answers (a learner's idle kernel)."""
    from jupyter_client import BlockingKernelClient

    with urllib.request.urlopen(running.get("api/kernels", data=b"{}"), timeout=30) as answer:
        kernel_id = json.loads(answer.read())["id"]
    client = BlockingKernelClient(
        connection_file=str(running.runtime_dir / f"kernel-{kernel_id}.json")
    )
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=KERNEL_START_SECONDS)
    finally:
        client.stop_channels()


@contextlib.contextmanager
def _stopped_by_ctrl_c(running: RunningLab, within: float) -> Iterator[dict[str, object]]:
    """SIGINT the lab; assert that it and all it started are gone ``within``; yield the numbers."""
    tree = [
        psutil.Process(running.process.pid),
        *psutil.Process(running.process.pid).children(recursive=True),
    ]
    outcome: dict[str, object] = {"processes": len(tree)}
    started = time.monotonic()
    running.process.send_signal(signal.SIGINT)
    try:
        with contextlib.suppress(subprocess.TimeoutExpired):
            running.process.wait(within)
        left = max(0.0, within - (time.monotonic() - started))
        _, alive = psutil.wait_procs(tree[1:], timeout=left)
        alive += [tree[0]] if running.process.returncode is None else []
        outcome["seconds"] = time.monotonic() - started
        outcome["alive"] = [
            " ".join(process.cmdline()[:4]) for process in alive if process.is_running()
        ]
        assert not outcome["alive"], (
            f"{outcome['alive']} still running {within:.0f} s after Ctrl+C:\n"
            f"{running.log()[-3000:]}"
        )
        print(f"stopped in {outcome['seconds']:.1f} s ({outcome['processes']} processes)")  # noqa: T201
        yield outcome
    finally:
        for process in tree:
            with contextlib.suppress(psutil.Error):
                process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            running.process.wait(10)


@contextlib.contextmanager
def _killed_on_failure(running: RunningLab) -> Iterator[None]:
    """Kill the lab and all it started if the test fails before its Ctrl+C (a server that
    ignores SIGTERM would outlive the lab's own SIGKILL)."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(psutil.Error):
            for process in psutil.Process(running.process.pid).children(recursive=True):
                process.kill()
        running.process.kill()
        raise


# --- 11. the lab opens on the next lesson not done ---------------------------------------------


def test_a_first_run_lands_on_lesson_one_and_ctrl_c_stops_the_lab_and_its_kernel(tmp_path):
    running = _start_lab(tmp_path)
    with _killed_on_failure(running):
        opener = urllib.request.build_opener(_NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(running.get(""), timeout=10)
        assert redirect.value.code == 302
        assert redirect.value.headers["Location"].split("?")[0] == (
            f"/lab/tree/{FIRST_LESSON.notebook_name}"
        )
        assert f"/lab/tree/{FIRST_LESSON.notebook_name}?token=" in running.log()  # its link
        _start_a_kernel(running)
    with _stopped_by_ctrl_c(running, STOPS_WITHIN_SECONDS) as outcome:
        assert outcome["processes"] >= 3  # the lab, its server and the kernel were all watched
        assert running.process.returncode == 0
        assert "Shutting down 1 kernel" in running.log()  # stopped, not killed: kernels shut down


def test_the_landing_follows_progress(tmp_path, monkeypatch):
    monkeypatch.setenv(progress_store.PROGRESS_ENV, str(tmp_path / "progress.sqlite3"))
    assert lab.landing_url() == f"/lab/tree/{FIRST_LESSON.notebook_name}"
    store = progress_store.ProgressStore()
    for exercise in LOADED.exercises_of(FIRST_LESSON.id):
        store.record_check(exercise.id, passed=True, checks_passed=1, checks_total=1)
    assert lab.landing_url() == f"/lab/tree/{SECOND_LESSON.notebook_name}"
    for exercise in LOADED.exercises:
        store.record_check(exercise.id, passed=True, checks_passed=1, checks_total=1)
    assert lab.landing_url() is None  # all done: JupyterLab's own start page
    setup = lab.setup(tmp_path / "ws", base_environment={})
    mine = "--LabApp.default_url=/lab/tree/mine.ipynb"
    command = setup.command([mine], landing="/lab/tree/x.ipynb")
    assert command.index("--LabApp.default_url=/lab/tree/x.ipynb") < command.index(mine)


# --- 6. Ctrl+C stops the lab within seconds, every time ----------------------------------------


def test_ctrl_c_stops_the_lab_when_a_server_thread_never_ends(tmp_path):
    running = _start_lab(tmp_path, hang="thread_never_ends")
    assert (
        "workbook_test_hang_thread_never_ends | extension was successfully loaded" in running.log()
    )
    with _stopped_by_ctrl_c(running, STOPS_WITHIN_SECONDS):
        assert running.process.returncode == 0


def test_ctrl_c_ends_a_server_that_does_not_stop_with_its_kernel(tmp_path):
    running = _start_lab(tmp_path, hang="ignores_the_stop")
    with _killed_on_failure(running):
        _start_a_kernel(running)
    with _stopped_by_ctrl_c(running, ENDED_WITHIN_SECONDS):
        assert "JupyterLab did not stop by itself" in running.log()
