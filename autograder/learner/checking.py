"""Checking as a learner does it: one exercise or all of them, with what comes next.

The notebook's ``check()`` and ``check_all()`` and the terminal's ``check`` and ``check-all``
share this: every result is recorded in the progress store, and a passed exercise points to
the next one (rustlings and Exercism do the same), or to the next lesson.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autograder import registry as registry_module
from autograder.engine.answers import answer_code
from autograder.engine.results import ExerciseResult
from autograder.engine.runner import run_checks
from autograder.learner import workspace


def record(result: ExerciseResult) -> str:
    """Record a result; set and return its next step. Raises what the store raises."""
    from autograder.learner.progress_store import record_result, summarize

    record_result(result)
    if result.passed:
        result.next_step = next_step(result.exercise_id, summarize())
    return result.next_step


def next_step(exercise_id: str, summary: object) -> str:
    loaded = registry_module.load()
    exercise = loaded.exercise(exercise_id)
    upcoming = summary.next_pending(after=exercise_id)  # type: ignore[attr-defined]
    if upcoming is None:
        return "Every exercise of the workbook is done. Well done!"
    if upcoming.lesson == exercise.lesson:
        return f"Next: {upcoming.id}, {upcoming.title}."
    lesson_done = all(
        item.done
        for lesson in summary.lessons  # type: ignore[attr-defined]
        if lesson.lesson.id == exercise.lesson
        for item in lesson.exercises
    )
    finished = f"Lesson {exercise.lesson} is done. " if lesson_done else ""
    return f"{finished}Next: {upcoming.id}, {upcoming.title} (lesson {upcoming.lesson})."


def failing_checks(count: int) -> str:
    """``1 check does not pass yet``, ``3 checks do not pass yet``."""
    return f"{count} check does not pass yet" if count == 1 else f"{count} checks do not pass yet"


def next_unpassed(lesson_id: str | None = None) -> str:
    """The line that ends ``check-all``: the first exercise not passed yet.

    With ``lesson_id`` (the lesson just checked), that lesson's first unfinished exercise, then
    the following lessons', then the earlier ones'; without, in lesson order.
    """
    from autograder.learner.progress_store import summarize

    upcoming = summarize().next_pending(from_lesson=lesson_id)
    if upcoming is None:
        return "Every exercise of the workbook is done. Well done!"
    return f"Next: {upcoming.id}, {upcoming.title} (lesson {upcoming.lesson})."


@dataclass
class AllChecked:
    """Every exercise checked at once, with points (``check-all``, ``check_all()``)."""

    results: list[ExerciseResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # exercises with no answer to check
    next_step: str = ""  # the last line: what to do next (next_unpassed)

    @property
    def points(self) -> tuple[int, int]:
        loaded = registry_module.load()
        earned = sum(loaded.exercise(r.exercise_id).points for r in self.results if r.passed)
        possible = sum(
            loaded.exercise(e).points for e in [r.exercise_id for r in self.results] + self.missing
        )
        return earned, possible

    @property
    def all_passed(self) -> bool:
        return not self.missing and all(result.passed for result in self.results)

    def render_text(self) -> str:
        loaded = registry_module.load()
        lines = []
        for result in self.results:
            exercise = loaded.exercise(result.exercise_id)
            mark = "✔" if result.passed else "✘"
            earned = exercise.points if result.passed else 0
            failing = len(result.failures())
            detail = "passed" if result.passed else failing_checks(failing)
            lines.append(f"  {mark} {exercise.id:<28} {earned}/{exercise.points} pt  {detail}")
        for exercise_id in self.missing:
            points = loaded.exercise(exercise_id).points
            lines.append(f"  · {exercise_id:<28} 0/{points} pt  no answer found")
        earned, possible = self.points
        lines.append(f"Total: {earned}/{possible} points")
        if self.next_step:
            lines.append(self.next_step)
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        earned, possible = self.points
        return {
            "points": earned,
            "max_points": possible,
            "exercises": [result.to_json() for result in self.results],
            "missing": self.missing,
        }


def check_notebooks(lesson_id: str | None = None) -> AllChecked:
    """Check the answers saved in the learner's notebooks (their workspace's copies)."""
    import nbformat

    loaded = registry_module.load()
    summary = AllChecked()
    for lesson in loaded.lessons:
        if lesson_id is not None and lesson.id != lesson_id:
            continue
        path = workspace.notebook_path(lesson)
        sources: dict[str, str] = {}
        try:
            notebook = nbformat.read(path, as_version=4)
            for cell in notebook.cells:
                marks = cell.get("metadata", {}).get("workbook", {})
                if marks.get("role") == "exercise" and marks.get("exercise"):
                    sources.setdefault(marks["exercise"], answer_code(cell.source))
        except (OSError, ValueError):
            pass  # unreadable: every exercise of the lesson is listed as missing
        for exercise in loaded.exercises_of(lesson.id):
            if exercise.id not in sources:
                summary.missing.append(exercise.id)
                continue
            result = run_checks(exercise.id, sources[exercise.id])
            try:
                record(result)
            except Exception:  # progress is a bonus; the check is done either way
                pass
            summary.results.append(result)
    try:
        summary.next_step = next_unpassed(lesson_id)
    except Exception:  # the results stand without the line that points on
        pass
    return summary
