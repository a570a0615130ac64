"""A submitted notebook's grading metadata, checked against what nbgrader knows of the source.

A student can edit every byte of a notebook, its cells' nbgrader metadata included: paste an
answer cell twice (Jupyter copies the metadata along), add a grade cell of their own, raise a
cell's points, drop a check cell's ``grade`` or ``locked`` flag, or relabel one exercise's cell
as another's. nbgrader's own steps trip over several of these (a duplicate is left with empty
metadata and fails validation; an unknown grade cell keeps ``grade: true`` without a
``grade_id``), and the whole submission goes ungraded.

The truth is nbgrader's: ``generate_assignment`` stores each source cell (grade id, type,
locked flag, checksum) and each grade and solution cell (points) in the gradebook. Each cell
of a submission is held to it:

- a grade id the source does not have (an added cell), or metadata that is not nbgrader's shape,
  is not graded: the cell keeps its text and loses its grading metadata;
- a cell whose workbook label (``metadata.workbook``) names another exercise than its grade id
  was relabeled: not trusted, not graded;
- flags and points are put back to the source's; a locked cell's edited source is put back by
  nbgrader's ``OverwriteCells`` (the checksum says so, and the feedback says it happened);
- several cells with one answer's grade id: graded once if they hold the same code, else that
  exercise scores 0 (nobody can tell which is the answer); extra copies of a check or set-up
  cell are not graded.

Every change becomes a note at the top of the notebook, so the feedback says what happened.
``python -m autograder grade`` runs the same function before it picks the answers to grade,
so both agree on every answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell

from autograder.classroom.submissions import NOTES_ROLE, safe_text
from autograder.engine.answers import answer_code

ANSWER_PREFIX = "exercise-"
CHECK_PREFIX = "check-"
SCHEMA_VERSION = 3


@dataclass(frozen=True)
class SourceCell:
    grade_id: str
    cell_type: str
    locked: bool
    checksum: str | None
    grade: bool
    solution: bool
    points: float | None
    source: str = ""

    def metadata(self) -> dict[str, Any]:
        """The cell's nbgrader metadata as the source has it."""
        metadata: dict[str, Any] = {
            "grade": self.grade,
            "grade_id": self.grade_id,
            "locked": self.locked,
            "schema_version": SCHEMA_VERSION,
            "solution": self.solution,
            "task": False,
        }
        if self.grade:
            metadata["points"] = self.points
        if self.checksum:
            metadata["checksum"] = self.checksum
        return metadata


@dataclass(frozen=True)
class SourceNotebook:
    cells: dict[str, SourceCell]

    @classmethod
    def from_gradebook(
        cls, db_url: str, assignment_id: str, notebook_id: str
    ) -> SourceNotebook | None:
        """What ``generate_assignment`` stored of the notebook; None if nbgrader has no record."""
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(db_url) as gradebook:
            try:
                notebook = gradebook.find_notebook(notebook_id, assignment_id)
            except MissingEntry:
                return None
            points = {cell.name: float(cell.max_score) for cell in notebook.grade_cells}
            solutions = {cell.name for cell in notebook.solution_cells}
            return cls(
                {
                    cell.name: SourceCell(
                        grade_id=cell.name,
                        cell_type=cell.cell_type,
                        locked=bool(cell.locked),
                        checksum=cell.checksum,
                        grade=cell.name in points,
                        solution=cell.name in solutions,
                        points=points.get(cell.name),
                        source=cell.source or "",
                    )
                    for cell in notebook.source_cells
                }
            )


def _workbook_grade_id(cell: NotebookNode) -> str | None:
    """The grade id the cell's workbook label implies, for answer and check cells."""
    role = cell.metadata.get("workbook")
    if not isinstance(role, dict) or not isinstance(role.get("exercise"), str):
        return None
    prefix = {"exercise": ANSWER_PREFIX, "check": CHECK_PREFIX}.get(role.get("role"))
    return prefix + role["exercise"] if prefix else None


def _strip(cell: NotebookNode) -> None:
    """The cell stays, as text the student wrote, but nothing grades it."""
    cell.metadata.pop("nbgrader", None)
    if isinstance(cell.metadata.get("workbook"), dict):
        cell.metadata["workbook"] = {"role": "ungraded"}


def reconcile(
    nb: NotebookNode, source: SourceNotebook
) -> tuple[list[str], dict[str, tuple[int, str]]]:
    """Hold every cell to the source; return notes, and answers that scored 0 with why.

    The second value maps an exercise id to (cell index, reason) for answers that cannot be
    trusted; ``apply`` puts a placeholder there that scores 0 with that reason.
    """
    notes: list[str] = []
    untrusted: dict[str, tuple[int, str]] = {}
    claims: dict[str, list[int]] = {}
    for index, cell in enumerate(nb.cells):
        metadata = cell.metadata.get("nbgrader")
        if metadata is None:
            continue
        grade_id = metadata.get("grade_id") if isinstance(metadata, dict) else None
        if not isinstance(grade_id, str) or not grade_id:
            notes.append(
                f"Cell {index + 1} carried grading metadata that is not nbgrader's (no grade "
                "id): it was not graded."
            )
            _strip(cell)
            continue
        truth = source.cells.get(grade_id)
        if truth is None:
            notes.append(
                f"Cell {index + 1} claims to be {safe_text(grade_id)}, which is not part of this "
                "assignment: it was not graded, and its points do not count."
            )
            _strip(cell)
            continue
        labelled = _workbook_grade_id(cell)
        if labelled is not None and labelled != grade_id:
            notes.append(
                f"Cell {index + 1} is labelled {safe_text(grade_id)} for grading but "
                f"{safe_text(labelled)} by the workbook: its label was changed, so it was not "
                "graded."
            )
            if labelled.startswith(ANSWER_PREFIX) and labelled in source.cells:
                exercise_id = labelled.removeprefix(ANSWER_PREFIX)
                untrusted.setdefault(
                    exercise_id,
                    (index, "its answer cell was relabeled as another cell, so it was not graded"),
                )
            _strip(cell)
            continue
        changed = _changed_settings(metadata, truth)
        if changed:
            notes.append(
                f"The grading settings of {safe_text(grade_id)} were changed "
                f"({', '.join(changed)}); the assignment's own were put back."
            )
        cell.metadata["nbgrader"] = truth.metadata()
        if cell.cell_type != truth.cell_type:
            notes.append(
                f"{safe_text(grade_id)} was turned into a {cell.cell_type} cell; it was graded "
                f"as the {truth.cell_type} cell it is."
            )
        elif truth.locked and not _as_handed_out(cell, truth):
            notes.append(
                f"{safe_text(grade_id)} is locked and was edited: the original was put back "
                "before grading."
            )
        claims.setdefault(grade_id, []).append(index)

    for grade_id, indexes in claims.items():
        if len(indexes) == 1:
            continue
        copies = len(indexes)
        if source.cells[grade_id].solution:
            codes = {answer_code(nb.cells[i].source) for i in indexes}
            exercise_id = grade_id.removeprefix(ANSWER_PREFIX)
            if len(codes) > 1:
                reason = (
                    f"its answer is in {copies} cells with different code, so which one is the "
                    "answer cannot be told; none was graded"
                )
                notes.append(
                    f"The answer for {safe_text(exercise_id)} is in {copies} cells with "
                    "different code: none was graded and it scored 0. Keep one cell that "
                    f"starts with `%%exercise {exercise_id}`."
                )
                for index in indexes:
                    _strip(nb.cells[index])
                untrusted[exercise_id] = (indexes[0], reason)
                continue
            notes.append(
                f"The answer for {safe_text(exercise_id)} is in {copies} cells with the same "
                "code: it was graded once."
            )
        else:
            notes.append(f"{safe_text(grade_id)} is in {copies} cells: only the first was graded.")
        for index in indexes[1:]:
            _strip(nb.cells[index])
    return notes, untrusted


def _as_handed_out(cell: NotebookNode, truth: SourceCell) -> bool:
    """Whether a locked cell holds what the release gave out: the source, hidden part removed.

    The release is made by nbgrader's ClearHiddenTests, so the same step gives the same text.
    """
    from nbformat.v4 import new_code_cell
    from nbgrader.preprocessors import ClearHiddenTests

    released = new_code_cell(truth.source, metadata={"nbgrader": truth.metadata()})
    try:
        ClearHiddenTests(enforce_metadata=False).preprocess_cell(released, {}, 0)
    except RuntimeError:  # the source's own delimiters are unbalanced: nbgrader's to report
        return True
    submitted = cell.source.strip()
    return submitted in {truth.source.strip(), released.source.strip()}


def _changed_settings(metadata: dict[str, Any], truth: SourceCell) -> list[str]:
    expected = truth.metadata()
    changed = [
        name
        for name in ("grade", "solution", "locked")
        if bool(metadata.get(name, False)) != expected[name]
    ]
    if truth.grade:
        try:
            points = float(metadata.get("points"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            points = None
        if points != truth.points:
            changed.append("points")
    elif "points" in metadata and metadata.get("points") not in (None, 0):
        changed.append("points")
    if metadata.get("schema_version") != SCHEMA_VERSION:
        changed.append("schema version")
    return changed


def apply(nb: NotebookNode, source: SourceNotebook) -> list[str]:
    """``reconcile``, then a placeholder per untrusted answer and a notes cell on top."""
    from autograder import registry
    from autograder.classroom.course import placeholder_answer_cell

    notes, untrusted = reconcile(nb, source)
    loaded = registry.load()
    known = {exercise.id for exercise in loaded.exercises}
    for exercise_id, (index, reason) in sorted(
        untrusted.items(), key=lambda item: item[1][0], reverse=True
    ):
        if exercise_id in known and ANSWER_PREFIX + exercise_id not in _grade_ids(nb):
            nb.cells.insert(index, placeholder_answer_cell(loaded.exercise(exercise_id), reason))
    if notes:
        nb.cells.insert(0, notes_cell(notes))
    return notes


def _grade_ids(nb: NotebookNode) -> set[str]:
    return {
        cell.metadata["nbgrader"].get("grade_id")
        for cell in nb.cells
        if isinstance(cell.metadata.get("nbgrader"), dict)
    }


def notes_cell(notes: list[str]) -> NotebookNode:
    cell = new_markdown_cell(
        "**What grading found in this notebook.** Each of these was graded as described, and "
        "nothing else in the notebook changed:\n\n" + "\n".join(f"- {note}" for note in notes)
    )
    cell.metadata["workbook"] = {"role": NOTES_ROLE}
    return cell
