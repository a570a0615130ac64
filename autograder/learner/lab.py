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
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

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
LEARNER_SERVER_EXTENSIONS = ("jupyter_server_ydoc", "autograder.learner.live_cells")
CONFIG_FOLDER = ".jupyter-workbook"  # hidden in JupyterLab's file browser, like every dot-file


@dataclass(frozen=True)
class LabSetup:
    root_dir: Path
    config_dir: Path
    settings_dir: Path
    environment: dict[str, str]

    def command(self, extra_args: list[str]) -> list[str]:
        command = [
            sys.executable, "-m", "jupyter", "lab",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--LabApp.user_settings_dir={self.settings_dir}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        ]  # fmt: skip
        if hasattr(os, "getuid") and os.getuid() == 0:
            command.append("--allow-root")  # containers and Binder-like hosts often run as root
        return command + extra_args


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
    command = lab.command(extra_args)
    print("Starting JupyterLab: open the link it prints (Ctrl+C stops it).", flush=True)
    os.execvpe(command[0], command, lab.environment)
    return 0  # not reached: execvpe replaces this process
