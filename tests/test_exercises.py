"""Honest exercises: starters run and fail, references pass, plausible wrong fixes are caught."""

import pytest

from autograder import registry
from autograder.authoring.verify import expected_text, mentions, wrong_fixes_of
from autograder.engine import loading as learner
from autograder.engine.runner import run_checks

EXERCISES = registry.load().exercises
WRONG_FIXES = [(exercise, path) for exercise in EXERCISES for path in wrong_fixes_of(exercise)]


def _describe(result):
    return "\n".join(f"[{c.rule}] {c.name}: {c.message}" for c in result.failures())


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_starter_runs_without_error(exercise):
    loaded = learner.load(exercise.id, exercise.starter_source())
    assert loaded.ok, loaded.error


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_starter_fails_its_visible_checks(exercise):
    result = run_checks(exercise.id, exercise.starter_source())
    assert result.status == "failed"
    assert all(c.message for c in result.failures()), "a failing check must say what it saw"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_starter_fails_its_hidden_checks(exercise):
    result = run_checks(exercise.id, exercise.starter_source(), hidden=True)
    assert any(c.hidden and not c.passed for c in result.checks), _describe(result)


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_reference_passes_every_check(exercise):
    result = run_checks(exercise.id, exercise.reference_source(), hidden=True)
    assert result.passed, _describe(result)
    assert any(c.hidden for c in result.checks), "no hidden check ran"
    assert {c.kind for c in result.checks} >= {"static", "warnings"}


@pytest.mark.parametrize(
    ("exercise", "path"), WRONG_FIXES, ids=[path.stem for _, path in WRONG_FIXES]
)
def test_plausible_wrong_fix_fails_and_says_why(exercise, path):
    result = run_checks(exercise.id, path.read_text(encoding="utf-8"), hidden=True)
    assert not result.passed
    assert mentions(result, expected_text(path)), _describe(result)
