"""What the progress and hint tests share: a private progress store and the command line."""

import os
import subprocess
import sys
from pathlib import Path

from autograder.learner import notebook, progress_store


def use_private_store(tmp_path: Path, monkeypatch) -> Path:
    """Point the progress store at a temporary file and forget the kernel's session."""
    path = tmp_path / "progress.sqlite3"
    monkeypatch.setenv(progress_store.PROGRESS_ENV, str(path))
    monkeypatch.setattr(notebook, "SESSION", notebook.NotebookSession())
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m autograder ARGS`` with this environment (and its private store)."""
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,  # not a terminal: nothing may wait for an answer
        env=os.environ.copy(),
        check=False,
    )
