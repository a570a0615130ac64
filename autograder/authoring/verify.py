"""Author checks, in the spirit of rustlings' own: an exercise is honest when its starter runs
and fails both its visible and its hidden checks, its reference passes every check, each
known wrong fix fails with a message that says why, and the starter and every wrong fix fail
on trusted evidence alone (with the answer process's own report set aside).

Wrong fixes live in ``tests/wrong_fixes/<slug>__<name>.py``. Their first line is
``# expect: <text>``: the text a failing check's message (or rule) must contain.

Generated wrong fixes come on top: partial fixes (``autograder.authoring.partial_fixes``: the
reference with one step of the fix left out, the starter with one step only) must all fail, on
trusted evidence alone; mutants of the reference (``autograder.authoring.mutants``) must be
killed by the checks or listed, with the reason, in the exercise's reviewed file
(``autograder.authoring.reviewed``). The workbook's mutation score is the share of mutants
killed among those not reviewed as equivalent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from autograder.authoring.mutants import Mutant, mutants_of
from autograder.authoring.partial_fixes import (
    LEAVE_ONE_OUT,
    ONE_STEP,
    PartialFix,
    partial_fixes_of,
)
from autograder.authoring.reviewed import EQUIVALENT, ReviewedFile, reviewed_file
from autograder.authoring.trials import Trial, Verdict, run_trials
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


# --- generated wrong fixes: partial fixes and mutants ------------------------------------------
# Checked in worker processes (autograder.authoring.trials), many at a time; each exercise's
# lines are printed once its answers are all judged.


@dataclass
class GeneratedReport:
    """What the generated answers of one exercise came to."""

    exercise: Exercise
    partial_fixes: list[PartialFix] = field(default_factory=list)
    mutants: list[Mutant] = field(default_factory=list)
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    reviewed: ReviewedFile | None = None
    ran_partial: bool = False
    ran_mutants: bool = False

    def trials(self) -> list[Trial]:
        # Partial fixes are checked on trusted evidence alone: failing there proves both that
        # they fail and that they fail without the answer's own report (which never turns a
        # failure into a pass). Mutants are judged as a learner's answer is.
        return [
            *(
                Trial(self.key(f.name), self.exercise.id, f.source, True)
                for f in self.partial_fixes
            ),
            *(Trial(self.key(m.id), self.exercise.id, m.source) for m in self.mutants),
        ]

    def key(self, name: str) -> str:
        return f"{self.exercise.id} {name}"

    def verdict(self, name: str) -> Verdict:
        return self.verdicts[self.key(name)]

    def done(self) -> bool:
        return all(trial.key in self.verdicts for trial in self.trials())

    # --- figures ------------------------------------------------------------------------------

    def mutant_survivors(self) -> list[Mutant]:
        return [m for m in self.mutants if self.verdict(m.id).passed]

    def equivalent_mutants(self) -> int:
        assert self.reviewed is not None
        return sum(
            1
            for m in self.mutant_survivors()
            if (entry := self.reviewed.survivors.get(m.id)) and entry.reason == EQUIVALENT
        )

    def killed(self) -> int:
        return sum(1 for m in self.mutants if not self.verdict(m.id).passed)

    def lines(self) -> tuple[list[str], list[str]]:
        """(notes, problems)"""
        assert self.reviewed is not None
        notes: list[str] = []
        problems: list[str] = []
        for name, verdict in self.verdicts.items():
            if verdict.error:
                problems.append(
                    f"{name.split(' ', 1)[1]}: the checks could not run: {verdict.error}"
                )
        where = self.reviewed.path.relative_to(project_root())
        if self.ran_partial:
            notes.extend(self._partial_lines(problems, where))
        if self.ran_mutants:
            notes.extend(self._mutant_lines(problems, where))
        return notes, problems

    def _partial_lines(self, problems: list[str], where: Path) -> list[str]:
        assert self.reviewed is not None
        fixes = self.partial_fixes
        if not fixes:
            return ["partial fixes: 0, all fail (the diff is one step: its only partial fixes "
                    "are the starter and the reference)"]  # fmt: skip
        passing = [f for f in fixes if self.verdict(f.name).passed]
        not_running = [f for f in fixes if self.verdict(f.name).does_not_run]
        timed_out = [f for f in fixes if self.verdict(f.name).timed_out]
        unexplained = [f for f in passing if f.name not in self.reviewed.equivalent_partial_fixes]
        if not passing:
            lines = [f"partial fixes: {len(fixes)}, all fail"]
        elif not unexplained:
            lines = [
                f"partial fixes: {len(fixes)}, all fail but the {len(passing)} reviewed as "
                "equivalent"
            ]
        else:
            names = ", ".join(f.name for f in unexplained)
            lines = [f"partial fixes: {len(fixes)}, {len(unexplained)} did not fail: {names}"]
        detail = [f"{len(fixes) - len(passing) - len(not_running)} on a checked behaviour"]
        if not_running:
            detail.append(
                f"{len(not_running)} do not run (" + ", ".join(f.name for f in not_running) + ")"
            )
        if timed_out:
            detail.append(f"{len(timed_out)} over the time limit")
        lines.append("    of the failing: " + "; ".join(detail))
        for fix in passing:
            why = self.reviewed.equivalent_partial_fixes.get(fix.name)
            if why:
                lines.append(f"    {fix.name} passes, reviewed as equivalent: {why}")
            else:
                problems.append(
                    f"partial fix {fix.name} ({fix.where}) passes every check: a half-fixed "
                    f"answer is accepted. Add a check that fails it, or list it with the reason "
                    f"it is the reference's behaviour under [[partial_fixes.equivalent]] in {where}"
                )
        for name in self.reviewed.equivalent_partial_fixes:
            if name not in {f.name for f in passing}:
                lines.append(
                    f"    note: {where} lists {name} as equivalent, and it no longer passes"
                )
        return lines

    def _mutant_lines(self, problems: list[str], where: Path) -> list[str]:
        assert self.reviewed is not None
        survivors = self.mutant_survivors()
        listed = [m for m in survivors if m.id in self.reviewed.survivors]
        lines = [
            f"mutants: {len(self.mutants)}, killed {self.killed()}, survived {len(survivors)} "
            f"({len(listed)} listed)"
        ]
        timed_out = sum(1 for m in self.mutants if self.verdict(m.id).timed_out)
        if timed_out:
            lines.append(f"    of the killed, {timed_out} over the time limit")
        for mutant in survivors:
            entry = self.reviewed.survivors.get(mutant.id)
            if entry is None:
                problems.append(
                    f"mutant survives, not listed: {mutant.id} (line {mutant.line}). Add a check "
                    f"that kills it, or list it under [[mutants.survivor]] in {where} with "
                    f'reason "equivalent" or "out of scope" and why'
                )
            else:
                lines.append(f"    survives ({entry.reason}): {mutant.id}")
        stale = set(self.reviewed.survivors) - {m.id for m in survivors}
        for mutant_id in sorted(stale):
            lines.append(f"    note: {where} lists {mutant_id!r}, which no longer survives")
        return lines


def generated_report(
    exercise: Exercise,
    *,
    partial: bool,
    mutants: bool,
    partial_kinds: tuple[str, ...] = (LEAVE_ONE_OUT, ONE_STEP),
) -> GeneratedReport:
    report = GeneratedReport(exercise, reviewed=reviewed_file(exercise))
    report.ran_partial, report.ran_mutants = partial, mutants
    if partial:
        report.partial_fixes = partial_fixes_of(exercise, kinds=partial_kinds)
    if mutants:
        report.mutants = mutants_of(exercise)
    return report


def judge_generated(
    reports: list[GeneratedReport], *, jobs: int, time_limit: float
) -> Iterator[GeneratedReport]:
    """Check every report's answers in ``jobs`` processes; yield each report, in the given
    order, as soon as it and those before it are judged."""
    owner = {trial.key: report for report in reports for trial in report.trials()}
    trials = [trial for report in reports for trial in report.trials()]
    waiting = list(reports)
    while waiting and waiting[0].done():  # exercises with nothing to run
        yield waiting.pop(0)
    for verdict in run_trials(trials, jobs=jobs, time_limit=time_limit):
        owner[verdict.key].verdicts[verdict.key] = verdict
        while waiting and waiting[0].done():
            yield waiting.pop(0)
    yield from waiting


def mutation_score(reports: list[GeneratedReport]) -> str:
    counted = sum(len(r.mutants) - r.equivalent_mutants() for r in reports if r.ran_mutants)
    killed = sum(r.killed() for r in reports if r.ran_mutants)
    if counted == 0:
        return "mutation score: no mutants were run"
    return (
        f"mutation score: {100 * killed / counted:.1f}% of non-equivalent mutants killed "
        f"({killed} of {counted})"
    )
