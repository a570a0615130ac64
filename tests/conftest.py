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


# The longest modules first (minutes each, where most tests take seconds): under xdist's load
# scheduling the two workers then start on them side by side and the short tests fill in at
# the end, where in file order one worker was left finishing a seven-minute test alone.
LONGEST_FIRST = ("test_course.py", "test_attacks.py", "test_classmate.py", "test_lessons.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: each module keeps its own order
