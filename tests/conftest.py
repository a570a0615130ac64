"""Fixtures several test modules share."""

from __future__ import annotations

import os

import pytest

from autograder.classroom import sandbox


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


@pytest.fixture(scope="session")
def bubblewrap() -> str:
    """bubblewrap, which classroom grading confines answers with; its message says how to get it."""
    try:
        return sandbox.bubblewrap_path()
    except sandbox.SandboxUnavailable as error:
        missing = str(error)
    # CI installs bubblewrap (.ci/run): a missing sandbox there is a broken set-up, never a skip.
    if in_ci():
        pytest.fail(missing, pytrace=False)
    pytest.skip(missing)
