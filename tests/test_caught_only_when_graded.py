"""Wrong fixes the hidden checks catch and the visible ones do not yet (see the folder's README):
grading must fail each, with the words its first line names."""

from pathlib import Path

import pytest

from autograder import registry
from autograder.authoring.verify import expected_text, mentions
from autograder.engine.runner import run_checks

FOLDER = Path(__file__).parent / "caught_only_when_graded"
CASES = [
    (registry.load().exercise(path.stem.split("__")[0].replace("_", "-")), path)
    for path in sorted(FOLDER.glob("*.py"))
]


@pytest.mark.parametrize(("exercise", "path"), CASES, ids=[path.stem for _, path in CASES])
def test_the_hidden_checks_fail_it_and_say_why(exercise, path):
    result = run_checks(exercise.id, path.read_text(encoding="utf-8"), hidden=True)
    assert not result.passed
    assert mentions(result, expected_text(path)), [c.message for c in result.failures()]
