"""The project's own code follows the rules it teaches (starters and wrong fixes excepted)."""

import subprocess

from ruff.__main__ import find_ruff_bin

from autograder.registry import project_root


def _ruff(*args):
    return subprocess.run(
        [find_ruff_bin(), *args], cwd=project_root(), capture_output=True, text=True, check=False
    )


def test_ruff_finds_nothing():
    completed = _ruff("check", "--no-cache", ".")
    assert completed.returncode == 0, completed.stdout


def test_code_is_formatted():
    completed = _ruff("format", "--check", "--no-cache", ".")
    assert completed.returncode == 0, completed.stdout
