"""Honest exercises: starters run and fail, references pass, plausible wrong fixes are caught,
on trusted evidence alone, with the same verdict in the notebook as in classroom grading."""

from pathlib import Path

import pytest

from autograder import registry
from autograder.authoring.verify import expected_text, mentions, wrong_fixes_of
from autograder.classroom.checker import Limits, grade_answers
from autograder.engine.runner import run_checks

EXERCISES = registry.load().exercises
WRONG_FIXES = [(exercise, path) for exercise in EXERCISES for path in wrong_fixes_of(exercise)]
# Correct answers written unlike the reference: checks compare behaviour, not spelling.
OTHER_FIXES = [
    (registry.load().exercise(path.stem.split("__")[0].replace("_", "-")), path)
    for path in sorted((Path(__file__).parent / "other_fixes").glob("*.py"))
]


def _describe(result):
    return "\n".join(f"[{c.rule}] {c.name}: {c.message}" for c in result.failures())


def _answers(exercise):
    """Every answer the project knows for an exercise: (label, source)."""
    return [
        ("starter", exercise.starter_source()),
        ("reference", exercise.reference_source()),
        *((path.stem, path.read_text(encoding="utf-8")) for path in wrong_fixes_of(exercise)),
    ]


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_starter_runs_and_fails_its_visible_checks(exercise):
    result = run_checks(exercise.id, exercise.starter_source())
    assert not any(c.kind == "runs" for c in result.failures()), _describe(result)
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


@pytest.mark.parametrize(
    ("exercise", "path"), OTHER_FIXES, ids=[path.stem for _, path in OTHER_FIXES]
)
def test_a_correct_fix_written_another_way_passes(exercise, path):
    result = run_checks(exercise.id, path.read_text(encoding="utf-8"), hidden=True)
    assert result.passed, _describe(result)


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_starter_and_every_wrong_fix_fail_on_trusted_evidence_alone(exercise):
    """With the answer process's own report set aside, nothing it could forge decides."""
    for label, source in _answers(exercise):
        if label == "reference":
            continue
        result = run_checks(exercise.id, source, hidden=True, trusted_only=True)
        assert not result.passed, f"{label} passes on trusted evidence alone"
        assert all(c.evidence == "trusted" for c in result.checks), label


@pytest.mark.usefixtures("bubblewrap")
@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_the_notebook_verdict_is_the_graded_verdict(exercise):
    """The notebook's check() and confined classroom grading agree on every known answer."""
    answers = _answers(exercise)
    graded = grade_answers(
        [(exercise.id, source) for _, source in answers], Limits(), confined=True
    )
    for (label, source), graded_result in zip(answers, graded, strict=True):
        in_notebook = run_checks(exercise.id, source)
        assert in_notebook.status == graded_result.status, (
            f"{label}: the notebook says {in_notebook.status}, grading says "
            f"{graded_result.status}\n{_describe(graded_result)}"
        )
        assert graded_result.passed == (label == "reference"), label
