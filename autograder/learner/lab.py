"""``python -m autograder lab`` (what ``make lab`` runs): JupyterLab for a learner.

- The learner's workspace is prepared first (``autograder.learner.workspace``) and is the
  server's root: lessons only, no sources, no instructor files.
- The environment's ``bin`` comes first on ``PATH`` for the server, its terminals and its
  kernels, so every command a message names (``ruff rule ASYNC251``, ``python -m autograder
  backups ...``) works where the learner types it.
- Instructor tooling stays out of the learner's way: nbgrader's menu, sidebar and server
  extensions, and jupytext's authoring commands, are disabled for this server only (in a
  configuration folder of its own), and JupyterLab does not ask about news or updates. An
  instructor runs plain ``jupyter lab`` (or nbgrader's own commands) to get them back.
- Real-time collaboration's shared documents are on: the notebook's live contents are then
  held by the server, so a check can see the exercise cell as it is on screen, and reset can
  put the starter back into it (``autograder.learner.live_cells``).
- The lab opens on the next lesson with an exercise not done yet (lesson 01 on the first run),
  as the progress store has it; with every exercise done, on JupyterLab's launcher.
- Ctrl+C stops it within seconds, every time. The server runs in a session of its own, so the
  terminal's Ctrl+C reaches this process only: it asks the server to stop (SIGTERM: the server
  shuts its kernels down, with no "are you sure?" prompt), and ends the server and everything
  it started if that takes longer than ``STOP_GRACE_SECONDS`` or the learner presses Ctrl+C
  again. A thread that never ends (the collaboration extension's known hang in
  ``threading._shutdown``) can no longer keep the lab alive; inside the server,
  ``autograder.learner.lab_exit`` ends its process soon after it stopped serving, for a
  shutdown from JupyterLab's own menu too.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from autograder import registry as registry_module
from autograder.learner import workspace

LEARNER_HIDDEN_LAB_EXTENSIONS = ("@jupyter/nbgrader", "jupyterlab-jupytext")
LEARNER_HIDDEN_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.validate_assignment",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
    "jupyterlab_jupytext",
)
# Shared documents (the live notebook on the server) and the workbook's reader of them.
LEARNER_SERVER_EXTENSIONS = (
    "jupyter_server_ydoc",
    "autograder.learner.live_cells",
    "autograder.learner.lab_exit",  # the server's process ends once it has stopped serving
)
CONFIG_FOLDER = ".jupyter-workbook"  # hidden in JupyterLab's file browser, like every dot-file
# The server's own shutdown: extensions, then kernels (each gets 5 s to leave before it is killed,
# all at once). Past this, the lab ends the server and what it started.
STOP_GRACE_SECONDS = 8.0
END_GRACE_SECONDS = 1.5  # between SIGTERM and SIGKILL for what the server left behind
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class LabSetup:
    root_dir: Path
    config_dir: Path
    settings_dir: Path
    environment: dict[str, str]

    def command(self, extra_args: list[str], *, landing: str | None = None) -> list[str]:
        command = [
            sys.executable, "-m", "jupyter", "lab",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--LabApp.user_settings_dir={self.settings_dir}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        ]  # fmt: skip
        if landing:
            # Where `/`, the printed link and the browser open; the learner's own wins (later).
            command.append(f"--LabApp.default_url={landing}")
        if hasattr(os, "getuid") and os.getuid() == 0:
            command.append("--allow-root")  # containers and Binder-like hosts often run as root
        return command + extra_args


def landing_url() -> str | None:
    """The lab's path of the next lesson with an exercise not done (None: all are done).

    Read from the progress store, as ``progress()`` shows it; a store that cannot be read shows
    nothing done, so the first lesson.
    """
    from autograder.learner.progress_store import summarize

    upcoming = summarize().next_pending()
    if upcoming is None:
        return None
    lesson = registry_module.load().lesson(upcoming.lesson)
    return f"/lab/tree/{quote(lesson.notebook_name)}"


def setup(root_dir: Path, *, base_environment: dict[str, str] | None = None) -> LabSetup:
    """Write this server's own configuration beside the workspace; return how to start it."""
    config_dir = root_dir / CONFIG_FOLDER / "config"
    settings_dir = root_dir / CONFIG_FOLDER / "settings"
    server_extensions = dict.fromkeys(LEARNER_HIDDEN_SERVER_EXTENSIONS, False)
    server_extensions |= dict.fromkeys(LEARNER_SERVER_EXTENSIONS, True)
    _write_json(
        config_dir / "jupyter_server_config.json",
        {"ServerApp": {"jpserver_extensions": server_extensions}},
    )
    _write_json(
        config_dir / "labconfig" / "page_config.json",
        {"disabledExtensions": dict.fromkeys(LEARNER_HIDDEN_LAB_EXTENSIONS, True)},
    )
    _write_json(
        settings_dir / "@jupyterlab/apputils-extension/notification.jupyterlab-settings",
        {"fetchNews": "false", "checkForUpdates": False},
    )
    environment = dict(os.environ if base_environment is None else base_environment)
    bin_dir = str(Path(sys.executable).parent)
    path = environment.get("PATH", "")
    if bin_dir not in path.split(os.pathsep):
        environment["PATH"] = os.pathsep.join([bin_dir, path]) if path else bin_dir
    environment["VIRTUAL_ENV"] = sys.prefix
    # The server and its kernels read this folder first: the learner's own settings in
    # ~/.jupyter still apply, after it.
    environment["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        [str(config_dir), *filter(None, [environment.get("JUPYTER_CONFIG_PATH", "")])]
    )
    return LabSetup(root_dir, config_dir, settings_dir, environment)


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main(extra_args: list[str]) -> int:
    root = workspace.workspace_dir()
    print(f"Your workspace: {root} (git never touches it; your answers live here)", flush=True)
    for change in workspace.prepare(root):
        if change.what != "kept" or change.detail:
            print(f"  {change.describe()}", flush=True)
    lab = setup(root)
    landing = landing_url()
    command = lab.command(extra_args, landing=landing)
    opens = f", on {landing.rsplit('/', 1)[-1]}" if landing else ""
    print(f"Starting JupyterLab{opens}: open the link it prints (Ctrl+C stops it).", flush=True)
    return run_server(command, lab.environment)


# --- running the server, and stopping it ------------------------------------------------------


def run_server(command: list[str], environment: dict[str, str]) -> int:
    """Run the server until it ends; a stop signal stops it within ``STOP_GRACE_SECONDS``.

    Returns the server's exit status, or 0 when the learner stopped it.
    """
    server = subprocess.Popen(
        command,
        env=environment,
        stdin=subprocess.DEVNULL,  # nothing asks "shut down? (y/[n])" on a Ctrl+C
        start_new_session=True,  # the terminal's Ctrl+C reaches this process, not the server
        preexec_fn=_end_with_parent,  # noqa: PLW1509 - this process starts no threads
    )
    received: list[int] = []
    previous = {
        signum: signal.signal(signum, lambda s, _: received.append(s)) for signum in STOP_SIGNALS
    }
    try:
        return _supervise(server, received)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _supervise(server: subprocess.Popen[bytes], received: list[int]) -> int:
    handled = 0
    deadline: float | None = None
    started: list[Any] = []  # what the server had started when it was asked to stop
    while True:
        with contextlib.suppress(subprocess.TimeoutExpired):
            status = server.wait(timeout=0.2)
            break
        if len(received) > handled:
            if handled == 0:
                print(
                    "\nStopping JupyterLab: it shuts your kernels down first "
                    "(Ctrl+C again ends it at once).",
                    flush=True,
                )
                started = _descendants(server.pid)
                _signal_process(server.pid, signal.SIGTERM)
                deadline = time.monotonic() + STOP_GRACE_SECONDS
            else:
                deadline = time.monotonic()
            handled = len(received)
        if deadline is not None and time.monotonic() >= deadline:
            print("JupyterLab did not stop by itself: ending it and what it started.", flush=True)
            started += _descendants(server.pid)
            with contextlib.suppress(OSError):  # its group: the server and its own helpers
                os.killpg(server.pid, signal.SIGKILL)
            status = server.wait()
            break
    if not handled:
        return status
    _end(started)  # a kernel or an app the server's shutdown left behind
    print("JupyterLab stopped.", flush=True)
    return 0


def _end_with_parent() -> None:
    """In the server's process, before it starts: Linux ends it (SIGTERM) if this process dies."""
    with contextlib.suppress(Exception):  # elsewhere a killed lab leaves the server running
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _signal_process(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _descendants(pid: int) -> list[Any]:
    """Every process ``pid`` started, and theirs (kernels, served apps: in sessions of theirs)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - ipykernel depends on psutil
        return []
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _end(processes: list[Any]) -> None:
    """SIGTERM, then SIGKILL after ``END_GRACE_SECONDS``, for those still running.

    psutil's process objects know their start time: a process id reused meanwhile is left alone.
    """
    if not processes:
        return
    import psutil

    running = [process for process in processes if process.is_running()]
    for process in running:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(running, timeout=END_GRACE_SECONDS)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=END_GRACE_SECONDS)
