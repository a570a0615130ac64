"""The workbook's parts inside nbgrader: which preprocessors run, and five of our own.

``configure(c)`` is what a course's ``nbgrader_config.py`` calls, so that nbgrader's own
commands (``generate_assignment``, ``autograde``, ``generate_feedback``, ``export``) grade the
workbook's way, through four steps of our own:

- ``KeepStarters`` replaces ``ClearSolutions``: the student version of an answer cell is the
  exercise's broken starter (from the registry), not a ``NotImplementedError`` stub.
- ``HoldToSource`` runs first when a submission is sanitized: each cell's grading metadata is
  held to what the gradebook stores of the source (``autograder.classroom.trusted_cells``), so
  a duplicated, added, relabeled or re-pointed cell costs at most that exercise's points.
- ``RestoreWorkbookCells`` runs next: it puts back deleted answer and check cells, so that a
  deletion costs that exercise's points and nothing else.
- ``GradeFromSource`` replaces ``Execute`` when autograding: each check cell's result is worked
  out from the submitted answer in a fresh, limited process (``autograder.classroom.sandbox``),
  never in a kernel where the submission's other cells ran first.
- ``RemoveHiddenChecks`` runs when feedback is generated: nbgrader puts the hidden tests back
  into check cells when it autogrades, and its feedback would show them to the student.

Submissions are read as plain files (``autograder.classroom.submissions``): ``nbgrader
collect`` copies regular files only, and ``nbgrader autograde`` sets aside links, pipes and
devices before it copies a submission's files, and opens each notebook without following one.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from functools import cache
from pathlib import Path
from typing import Any

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader import preprocessors as nbgrader_steps
from nbgrader import utils as nbgrader_utils
from traitlets import Bool, Float, Int, Unicode
from traitlets.config import Config

import workbook
from autograder import registry
from autograder.authoring import lessons
from autograder.classroom.checker import Limits, grade_answers
from autograder.classroom.sandbox import bubblewrap_path
from autograder.classroom.submissions import (
    IGNORED_REFUSED,
    PlainCopyCollect,
    PlainFileExporter,
    set_aside_hook,
)
from autograder.classroom.trusted_cells import (
    ANSWER_PREFIX,
    CHECK_PREFIX,
    NOTES_ROLE,
    SourceNotebook,
    apply,
)
from autograder.engine import starvation
from autograder.engine.answers import answer_code
from autograder.engine.results import ExerciseResult
from autograder.learner.notebook import ExerciseNotPassed, result_bundle

# First line of the stand-in for a deleted answer cell (nbgrader keeps sources, not metadata).
PLACEHOLDER_MARK = "# [missing answer]"
COURSE_ID = "fastapi-purist-workbook"
# Caches that tools leave behind; no release, autograded copy or feedback should carry them.
IGNORED_FILES = [".pytest_cache", ".hypothesis"]


def configure(c: Config) -> None:
    """Set up a course's nbgrader configuration for the workbook."""
    # nbgrader runs `alembic` (its database migrations) from PATH: the environment nbgrader
    # was started from must come first, activated or not.
    environment_bin = str(Path(sys.executable).parent)
    if environment_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([environment_bin, os.environ.get("PATH", "")])
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.ignore = [*_default_ignore(), *IGNORED_FILES, IGNORED_REFUSED]
    # nbgrader follows links when it collects, copies and opens submitted files; these refuse.
    c.ExchangeFactory.collect = PlainCopyCollect
    c.Autograde.pre_convert_hook = set_aside_hook
    c.Autograde.exporter_class = PlainFileExporter
    c.GenerateAssignment.preprocessors = [
        KeepStarters if step is nbgrader_steps.ClearSolutions else step
        for step in _default_steps("GenerateAssignment", "preprocessors")
    ]
    # Put back deleted workbook cells first: nbgrader's own repair fails when an answer cell
    # and its check cell are both gone (it looks for the answer cell to insert after).
    c.Autograde.sanitize_preprocessors = [
        HoldToSource,
        RestoreWorkbookCells,
        *_default_steps("Autograde", "sanitize_preprocessors"),
    ]
    c.Autograde.autograde_preprocessors = [
        GradeFromSource if step is nbgrader_steps.Execute else step
        for step in _default_steps("Autograde", "autograde_preprocessors")
    ]
    # Keep the workbook's cell roles: progress and hints read them in the returned notebook.
    c.ClearMetadataPreprocessor.preserve_cell_metadata_mask = ["nbgrader", "workbook"]
    c.GenerateFeedback.preprocessors = [
        nbgrader_steps.GetGrades,
        RemoveHiddenChecks,
        CSSHTMLHeaderPreprocessor,
    ]


def _default_ignore() -> list[str]:
    from nbgrader.coursedir import CourseDirectory

    return list(CourseDirectory.class_traits()["ignore"].make_dynamic_default())


def _default_steps(converter: str, trait: str) -> list[type]:
    from nbgrader import converters

    return list(getattr(converters, converter).class_traits()[trait].make_dynamic_default())


def exercise_of(cell: NotebookNode, prefix: str) -> str | None:
    """The exercise id an answer or check cell belongs to, read from its nbgrader id."""
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
    return grade_id.removeprefix(prefix) if grade_id.startswith(prefix) else None


def answers_in(notebook: NotebookNode) -> dict[str, str]:
    """Each exercise's submitted code; the first cell wins, as nbgrader's deduplication does."""
    answers: dict[str, str] = {}
    for cell in notebook.cells:
        exercise_id = exercise_of(cell, ANSWER_PREFIX)
        if cell.source.startswith(PLACEHOLDER_MARK):
            continue  # put back by RestoreWorkbookCells: there is no answer to grade
        if exercise_id and nbgrader_utils.is_solution(cell) and exercise_id not in answers:
            answers[exercise_id] = answer_code(cell.source)
    return answers


class HoldToSource(nbgrader_steps.NbGraderPreprocessor):
    """Hold each cell's grading metadata to the gradebook's record of the source notebook.

    What cannot be trusted is not graded (see ``autograder.classroom.trusted_cells``); a note
    at the top of the notebook says what was found, so the feedback does too.
    """

    def preprocess(
        self, nb: NotebookNode, resources: dict[str, Any]
    ) -> tuple[NotebookNode, dict[str, Any]]:
        about = resources.get("nbgrader", {})
        source = SourceNotebook.from_gradebook(
            about.get("db_url", ""), about.get("assignment", ""), about.get("notebook", "")
        )
        if source is None:
            return nb, resources
        for note in apply(nb, source):
            self.log.warning("%s/%s: %s", about.get("student"), about.get("notebook"), note)
        return nb, resources


class RestoreWorkbookCells(nbgrader_steps.NbGraderPreprocessor):
    """Give a submission back every answer and check cell of its lesson, in lesson order.

    A deleted check cell returns with the source nbgrader keeps for it, so it is graded as
    usual. A deleted answer cell returns as a marked placeholder, which scores 0 and says why.
    """

    def preprocess(
        self, nb: NotebookNode, resources: dict[str, Any]
    ) -> tuple[NotebookNode, dict[str, Any]]:
        from autograder.classroom.course import check_cell, placeholder_answer_cell

        loaded = registry.load()
        lesson_id = resources.get("nbgrader", {}).get("notebook", "")
        if lesson_id not in {lesson.id for lesson in loaded.lessons}:
            return nb, resources
        present = {
            cell.metadata.get("nbgrader", {}).get("grade_id"): index
            for index, cell in reversed(list(enumerate(nb.cells)))
        }
        # What grading found stays on top, where the feedback opens.
        insert_after = -1
        while insert_after + 1 < len(nb.cells) and _is_notes(nb.cells[insert_after + 1]):
            insert_after += 1
        for exercise in loaded.exercises_of(lesson_id):
            for grade_id, make in (
                (ANSWER_PREFIX + exercise.id, placeholder_answer_cell),
                (CHECK_PREFIX + exercise.id, check_cell),
            ):
                if grade_id in present:
                    insert_after = max(insert_after, present[grade_id])
                    continue
                self.log.warning("%s: cell %s was missing; put back", lesson_id, grade_id)
                insert_after += 1
                nb.cells.insert(insert_after, make(exercise))
                present = {key: i + (i >= insert_after) for key, i in present.items()}
                present[grade_id] = insert_after
        return nb, resources


def _is_notes(cell: NotebookNode) -> bool:
    role = cell.metadata.get("workbook")
    return isinstance(role, dict) and role.get("role") == NOTES_ROLE


class KeepStarters(nbgrader_steps.ClearSolutions):
    """The student version of an answer cell holds the exercise's starter."""

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], cell_index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        exercise_id = exercise_of(cell, ANSWER_PREFIX)
        if exercise_id is None or not nbgrader_utils.is_solution(cell):
            return super().preprocess_cell(cell, resources, cell_index)
        exercise = registry.load().exercise(exercise_id)
        cell.source = lessons.exercise_cell_source(exercise, exercise.starter_source())
        return cell, resources


class GradeFromSource(nbgrader_steps.NbGraderPreprocessor):
    """Fill each check cell's output from grading its answer, never by running the notebook.

    The notebook's answers are graded together in one sandbox of their own
    (``autograder.classroom.checker``), each with its checks in a fresh trusted process.
    nbgrader then scores the cells as usual: an error output means 0 points, none means full.
    """

    timeout = Float(Limits.seconds, help="Seconds one exercise may take to grade.").tag(config=True)
    memory_mb = Int(Limits.memory_mb, help="Memory one exercise's grading may use.").tag(
        config=True
    )
    results_dir = Unicode(
        "",
        help="A directory of results graded earlier (``python -m autograder grade`` fills it).",
    ).tag(config=True)
    unconfined = Bool(
        False,
        help="Run answers without bubblewrap. Not safe for untrusted submissions; every "
        "feedback says so.",
    ).tag(config=True)

    def preprocess(
        self, nb: NotebookNode, resources: dict[str, Any]
    ) -> tuple[NotebookNode, dict[str, Any]]:
        answers = answers_in(nb)
        missing_reasons = placeholder_reasons(nb)
        store = ResultStore.at(self.results_dir, confined=not self.unconfined)
        results = {
            exercise_id: result
            for exercise_id, answer in answers.items()
            if (result := store.get(exercise_id, answer)) is not None
        }
        pending = [(e, a) for e, a in answers.items() if e not in results]
        if pending:
            if not self.unconfined:
                bubblewrap_path()  # refuses, saying how to install it, before anything runs
            limits = Limits(seconds=self.timeout, memory_mb=self.memory_mb)
            graded = grade_answers(pending, limits, confined=not self.unconfined)
            for (exercise_id, answer), result in zip(pending, graded, strict=True):
                if not starvation.inconclusive_rows(result.checks):  # a later run grades again
                    store.put(exercise_id, answer, result)
                results[exercise_id] = result
        for cell in nb.cells:
            if not (nbgrader_utils.is_grade(cell) and cell.cell_type == "code"):
                continue
            exercise_id = exercise_of(cell, CHECK_PREFIX)
            if exercise_id is None:
                cell.outputs = [_error_output("This grade cell is not a workbook check.")]
                continue
            if exercise_id not in answers:
                reason = missing_reasons.get(exercise_id)
                cell.outputs = _outputs_for(missing_answer(exercise_id, reason))
                continue
            cell.outputs = _outputs_for(results[exercise_id])
            cell.execution_count = None
        return nb, resources


def placeholder_reasons(notebook: NotebookNode) -> dict[str, str]:
    """Why each exercise has no answer, from the placeholders put in its answer cell's place."""
    reasons: dict[str, str] = {}
    for cell in notebook.cells:
        exercise_id = exercise_of(cell, ANSWER_PREFIX)
        if exercise_id and cell.source.startswith(PLACEHOLDER_MARK):
            reason = cell.source.removeprefix(PLACEHOLDER_MARK).strip().splitlines()
            if reason and not reason[0].endswith("was missing from this submission."):
                reasons.setdefault(exercise_id, reason[0][:300])
    return reasons


def missing_answer(exercise_id: str, reason: str | None = None) -> ExerciseResult:
    from autograder.engine.results import CheckResult

    row = CheckResult(
        name="the answer cell is there",
        rule="submission",
        rule_text="Each exercise is graded from its answer cell.",
        status="failed",
        message=(
            f"The submission has no answer for {exercise_id}: "
            + (reason or "its cell was deleted, or the notebook could not be read.")
        ),
        hint=f"Keep the cell that starts with `%%exercise {exercise_id}`.",
        kind="runs",
    )
    return ExerciseResult(exercise_id, checks=[row])


def _outputs_for(result: ExerciseResult) -> list[NotebookNode]:
    shown = new_output("display_data", data=result_bundle(result))
    if result.passed:
        return [shown]
    # The same one line a failing check cell shows in the notebook.
    return [shown, _error_output(ExerciseNotPassed(result).summary)]


def _error_output(message: str) -> NotebookNode:
    return new_output(
        "error",
        ename="ExerciseNotPassed",
        evalue=message,
        traceback=[f"ExerciseNotPassed: {message}"],
    )


class RemoveHiddenChecks(nbgrader_steps.ClearHiddenTests):
    """Feedback shows a check cell as the student saw it: without its hidden part."""


class ResultStore:
    """Results graded earlier, one JSON file each, keyed by exercise, answer and workbook.

    The key includes a fingerprint of the workbook's checks and references, so a fixed check
    never reuses a stale result, and whether answers ran confined, so a result graded with
    --unconfined (and its warning) is never taken for a confined one.
    """

    def __init__(self, directory: Path | None, *, confined: bool = True) -> None:
        self.directory = directory
        self.confined = confined

    @classmethod
    def at(cls, directory: str | os.PathLike[str] | None, *, confined: bool = True) -> ResultStore:
        return cls(Path(directory) if directory else None, confined=confined)

    def path_for(self, exercise_id: str, answer: str) -> Path | None:
        if self.directory is None:
            return None
        mode = "confined" if self.confined else "unconfined"
        digest = hashlib.sha256(
            f"{workbook_fingerprint()}\0{mode}\0{exercise_id}\0{answer}".encode()
        ).hexdigest()
        return self.directory / f"{exercise_id}-{digest[:32]}.json"

    def get(self, exercise_id: str, answer: str) -> ExerciseResult | None:
        path = self.path_for(exercise_id, answer)
        if path is None or not path.is_file():
            return None
        try:
            return ExerciseResult.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError):
            return None  # a torn write from a killed run: grade again

    def put(self, exercise_id: str, answer: str, result: ExerciseResult) -> None:
        path = self.path_for(exercise_id, answer)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(result.to_json()), encoding="utf-8")
        partial.replace(path)  # atomic: a reader sees the old state or the whole result


@cache  # the checks and references do not change while a process runs
def workbook_fingerprint() -> str:
    """A digest of everything a grade depends on besides the answer."""
    digest = hashlib.sha256()
    for exercise in registry.load().exercises:
        for path in (exercise.checks_path, exercise.hidden_checks_path, exercise.reference_path):
            digest.update(path.read_bytes())
    # The engine and the answer host decide verdicts too.
    for package in (Path(__file__).parent.parent / "engine", Path(workbook.__file__).parent):
        for path in sorted(package.rglob("*.py")):
            digest.update(path.read_bytes())
    return digest.hexdigest()
