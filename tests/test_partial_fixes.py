"""Generated wrong fixes: every exercise's half-fixed answers fail, on trusted evidence alone,
and the author check reports whatever generated answer passes unexplained.

The leave-one-out partial fixes (the reference with one step of its fix left out) run here;
the starter-with-one-step ones and the mutants run in `make mutants`
(`python -m autograder verify --mutants-only`, and `verify --partial-only` for both kinds).
"""

import ast

import pytest

from autograder import registry
from autograder.authoring.mutants import mutants_of, mutants_of_source
from autograder.authoring.partial_fixes import (
    LEAVE_ONE_OUT,
    ONE_STEP,
    hunks_between,
    partial_fixes_of,
)
from autograder.authoring.reviewed import REVIEWED_DIR, Survivor, reviewed_file
from autograder.authoring.trials import Verdict
from autograder.authoring.verify import GeneratedReport, mutation_score
from autograder.engine.runner import run_checks

EXERCISES = registry.load().exercises


def _describe(result):
    return "\n".join(f"[{c.rule}] {c.name}: {c.message}" for c in result.failures())


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_every_leave_one_out_partial_fix_fails_on_trusted_evidence_alone(exercise):
    """The reference with one step of the fix left out is not fixed: a check must say so
    without the answer's own report (which never turns a failure into a pass)."""
    equivalent = reviewed_file(exercise).equivalent_partial_fixes
    passing = []
    for fix in partial_fixes_of(exercise, kinds=(LEAVE_ONE_OUT,)):
        if fix.name in equivalent:
            continue
        result = run_checks(exercise.id, fix.source, hidden=True, trusted_only=True)
        if result.passed:
            passing.append(f"{fix.name} ({fix.where})")
    assert not passing, (
        f"{exercise.id}: half-fixed answers pass every check: {passing}. Add a check that "
        f"fails them, or list them with why in {reviewed_file(exercise).path.name}"
    )


def test_reviewed_files_name_exercises_and_partial_fixes_that_exist():
    slugs = {exercise.slug: exercise for exercise in EXERCISES}
    for path in sorted(REVIEWED_DIR.glob("*.toml")):
        assert path.stem in slugs, f"{path.name} names no exercise"
        exercise = slugs[path.stem]
        names = {fix.name for fix in partial_fixes_of(exercise)}
        unknown = set(reviewed_file(exercise).equivalent_partial_fixes) - names
        assert not unknown, f"{path.name} lists partial fixes the diff no longer makes: {unknown}"


def test_partial_fixes_are_the_starter_and_the_reference_taken_apart():
    exercise = registry.load().exercise("pydantic-model-validate")
    starter, reference = exercise.starter_source(), exercise.reference_source()
    fixes = partial_fixes_of(exercise)
    assert {fix.kind for fix in fixes} == {LEAVE_ONE_OUT, ONE_STEP}
    steps = len(hunks_between(starter, reference))
    assert 0 < len(fixes) <= 2 * steps
    for fix in fixes:
        compile(fix.source, fix.name, "exec")
        assert fix.source not in (starter, reference)
        # Each lies between the two: every line it has is the starter's or the reference's
        # (merged import lines aside).
        known = set(starter.splitlines()) | set(reference.splitlines())
        strange = [
            line
            for line in fix.source.splitlines()
            if line not in known and not line.startswith(("import ", "from "))
        ]
        assert not strange, (fix.name, strange)


def test_a_step_that_only_rewrites_comments_makes_no_partial_fix():
    # async-cpu-bound's diff: `async def` made `def`, and a comment added above the route.
    exercise = registry.load().exercise("async-cpu-bound")
    assert len(hunks_between(exercise.starter_source(), exercise.reference_source())) == 2
    assert partial_fixes_of(exercise) == []


def test_mutants_cover_the_operators_and_each_is_one_edit_of_the_reference():
    source = (
        "import asyncio\n"
        "from typing import Annotated\n"
        "from fastapi import Depends, FastAPI\n"
        "app = FastAPI()\n\n"
        "async def get_limit() -> int:\n"  # no await inside: `async` alone can go
        "    return 10\n\n"
        "Limit = Annotated[int, Depends(get_limit)]\n\n"
        "@app.get('/items', status_code=200)\n"
        "async def items(limit: Limit, page: int = Depends(get_limit)) -> list[int]:\n"
        "    # a comment that stays\n"
        "    await asyncio.sleep(0)\n"
        "    if limit < 5 and page:\n"
        "        return []\n"
        "    return list(range(limit))\n"
    )
    mutants = mutants_of_source(source)
    operators = {mutant.operator for mutant in mutants}
    assert operators >= {
        "constant",
        "compare",
        "boolean",
        "await removed",
        "async removed",
        "statement deleted",
        "decorator keyword removed",
        "decorator removed",
        "dependency swapped for a default",
    }
    assert len({mutant.id for mutant in mutants}) == len(mutants)
    for mutant in mutants:
        assert mutant.source != source
        ast.parse(mutant.source)
        if mutant.operator != "decorator removed":
            assert "# a comment that stays" in mutant.source, mutant.id
    swapped = [m for m in mutants if m.operator == "dependency swapped for a default"]
    assert any("Limit = int\n" in m.source for m in swapped)
    assert any("page: int = None" in m.source for m in swapped)
    assert any("await" not in m.source for m in mutants if m.operator == "await removed")


def test_every_reference_makes_mutants():
    for exercise in EXERCISES:
        assert mutants_of(exercise), f"{exercise.id}: no mutant of its reference"


def _report(passed_by_id, listed):
    exercise = registry.load().exercise("async-sleep")
    report = GeneratedReport(exercise, reviewed=reviewed_file(exercise), ran_mutants=True)
    report.mutants = [m for m in mutants_of(exercise) if m.id in passed_by_id]
    report.verdicts = {
        report.key(m.id): Verdict(report.key(m.id), passed_by_id[m.id]) for m in report.mutants
    }
    report.reviewed.survivors.clear()
    report.reviewed.survivors.update(listed)
    return report


def test_a_surviving_mutant_not_listed_is_a_problem_and_a_listed_one_is_counted():
    exercise = registry.load().exercise("async-sleep")
    first, second, third = (m.id for m in mutants_of(exercise)[:3])
    report = _report({first: True, second: True, third: False}, {})
    notes, problems = report.lines()
    assert notes[0] == "mutants: 3, killed 1, survived 2 (0 listed)"
    assert len(problems) == 2 and all("not listed" in p for p in problems)

    listed = {first: Survivor("equivalent", "why"), second: Survivor("out of scope", "why")}
    report = _report({first: True, second: True, third: False}, listed)
    notes, problems = report.lines()
    assert notes[0] == "mutants: 3, killed 1, survived 2 (2 listed)"
    assert problems == []
    # The equivalent one leaves the count; the out-of-scope one stays in it, as a survivor.
    assert mutation_score([report]).startswith(
        "mutation score: 50.0% of non-equivalent mutants killed"
    )


def _partial_report(exercise_id, passed_by_name, equivalent):
    exercise = registry.load().exercise(exercise_id)
    report = GeneratedReport(exercise, reviewed=reviewed_file(exercise), ran_partial=True)
    report.partial_fixes = [f for f in partial_fixes_of(exercise) if f.name in passed_by_name]
    report.verdicts = {
        report.key(f.name): Verdict(report.key(f.name), passed_by_name[f.name])
        for f in report.partial_fixes
    }
    report.reviewed.equivalent_partial_fixes.clear()
    report.reviewed.equivalent_partial_fixes.update(equivalent)
    return report


def test_the_partial_fix_line_says_all_fail_or_which_did_not():
    exercise = registry.load().exercise("pydantic-model-validate")
    first, second = (fix.name for fix in partial_fixes_of(exercise)[:2])
    notes, problems = _partial_report(exercise.id, {first: False, second: False}, {}).lines()
    assert notes[0] == "partial fixes: 2, all fail" and problems == []

    notes, problems = _partial_report(exercise.id, {first: True, second: False}, {}).lines()
    assert notes[0] == f"partial fixes: 2, 1 did not fail: {first}"
    assert len(problems) == 1 and first in problems[0]

    report = _partial_report(exercise.id, {first: True, second: False}, {first: "why"})
    notes, problems = report.lines()
    assert notes[0] == "partial fixes: 2, all fail but the 1 reviewed as equivalent"
    assert problems == []


def test_verify_runs_the_leave_one_out_partial_fixes_alone(capsys):
    """`verify --partial-only --leave-one-out` (what CI runs) checks the reference with one
    step left out, and no starter with one step only, and no mutant."""
    from autograder.cli import main

    status = main(["verify", "pydantic-modern-types", "--partial-only", "--leave-one-out"])
    out = capsys.readouterr().out
    expected = len(partial_fixes_of(registry.load().exercise("pydantic-modern-types"),
                                    kinds=(LEAVE_ONE_OUT,)))  # fmt: skip
    assert f"partial fixes: {expected}, all fail" in out, out
    assert "mutants:" not in out and "mutation score" not in out
    assert status == 0, out


def test_verify_help_documents_what_it_prints_and_its_options(capsys):
    from autograder.cli import main

    with pytest.raises(SystemExit):
        main(["verify", "--help"])
    text = capsys.readouterr().out
    for said in ("--skip-mutants", "--partial-only", "--mutants-only", "--leave-one-out",
                 "partial fixes: N, all fail", "mutation score", "01-async-hygiene"):  # fmt: skip
        assert said in text, said


def test_reviewed_survivors_are_mutants_the_references_still_make():
    """A reviewed survivor whose mutant is no longer made (the reference changed) is stale: its
    reason speaks of code that is gone."""
    for exercise in EXERCISES:
        listed = set(reviewed_file(exercise).survivors)
        made = {mutant.id for mutant in mutants_of(exercise)}
        assert listed <= made, (
            f"{reviewed_file(exercise).path.name} lists mutants the reference no longer makes: "
            f"{sorted(listed - made)}"
        )


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_a_partial_fix_keeps_its_name_whichever_kinds_are_asked_for(exercise):
    """Two kinds can make the same answer (the starter with all steps but the last is the
    reference without the last): its name must not depend on which kinds were asked for, or a
    reviewed file's entry names an answer that CI's leave-one-out run calls otherwise."""
    both = {fix.name: fix.source for fix in partial_fixes_of(exercise)}
    alone = {fix.name: fix.source for fix in partial_fixes_of(exercise, kinds=(LEAVE_ONE_OUT,))}
    assert alone.items() <= both.items()
