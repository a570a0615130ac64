"""Author checks, in the spirit of rustlings' own: an exercise is honest when its starter runs
and fails both its visible and its hidden checks, its reference passes every check, each
known wrong fix fails with a message that says why, and the starter and every wrong fix fail
on trusted evidence alone (with the answer process's own report set aside).

Wrong fixes live in ``tests/wrong_fixes/<slug>__<name>.py``. Their first line is
``# expect: <text>``: the text a failing check's message (or rule) must contain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from autograder.engine.results import ExerciseResult
from autograder.engine.runner import run_checks
from autograder.registry import Exercise, project_root

EXPECT_PREFIX = "# expect:"


def wrong_fixes_dir() -> Path:
    return project_root() / "tests" / "wrong_fixes"


def wrong_fixes_of(exercise: Exercise) -> list[Path]:
    return sorted(wrong_fixes_dir().glob(f"{exercise.slug}__*.py"))


def expected_text(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    if not first.startswith(EXPECT_PREFIX):
        raise ValueError(f"{path.name} must start with '{EXPECT_PREFIX} <text>'")
    return first.removeprefix(EXPECT_PREFIX).strip()


def mentions(result: ExerciseResult, text: str) -> bool:
    return any(text in check.message or text == check.rule for check in result.failures())


@dataclass
class VerifyReport:
    exercise: Exercise
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        head = f"{'ok ' if not self.problems else 'BAD'} {self.exercise.id}"
        return "\n".join(
            [head, *(f"    {n}" for n in self.notes), *(f"  ✘ {p}" for p in self.problems)]
        )


def verify_exercise(exercise: Exercise) -> VerifyReport:
    report = VerifyReport(exercise)
    starter = exercise.starter_source()
    visible = run_checks(exercise.id, starter)
    if any(check.kind == "runs" for check in visible.failures()):
        report.problems.append(f"starter does not run: {visible.failures()[0].message}")
        return report
    if visible.passed:
        report.problems.append("starter passes its visible checks")
    hidden = run_checks(exercise.id, starter, hidden=True)
    if not any(check.hidden and not check.passed for check in hidden.checks):
        report.problems.append("starter passes every hidden check")
    report.notes.append(
        f"starter: {len(visible.failures())} visible and "
        f"{sum(c.hidden and not c.passed for c in hidden.checks)} hidden checks fail"
    )

    reference = run_checks(exercise.id, exercise.reference_source(), hidden=True)
    for check in reference.failures():
        report.problems.append(f"reference fails {check.name!r}: {check.message}")

    if not run_checks(exercise.id, starter, hidden=True, trusted_only=True).failures():
        report.problems.append("starter passes once its own report is set aside")

    for path in wrong_fixes_of(exercise):
        source = path.read_text(encoding="utf-8")
        if run_checks(exercise.id, source, hidden=True, trusted_only=True).passed:
            report.problems.append(f"wrong fix {path.name} passes on trusted evidence alone")
        result = run_checks(exercise.id, source, hidden=True)
        want = expected_text(path)
        if result.passed:
            report.problems.append(f"wrong fix {path.name} passes every check")
        elif not mentions(result, want):
            said = "; ".join(f"[{c.rule}] {c.message}" for c in result.failures())
            report.problems.append(f"wrong fix {path.name} fails without saying {want!r}: {said}")
        else:
            report.notes.append(f"wrong fix {path.name}: fails, says {want!r}")
    return report
