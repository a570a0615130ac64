"""An nbgrader course built from the lessons and the registry: ``course init DIR``.

The course directory holds ``nbgrader_config.py`` (which hands nbgrader the workbook's
preprocessors, see ``autograder.classroom.nbgrader_hooks``) and ``source/<lesson>/<lesson>.ipynb``
for every lesson. In ``source/`` the answer cells hold the reference, so ``nbgrader validate``
passes; the student version gets the starters back. Check cells are locked grade cells worth the
exercise's points; their hidden part runs the hidden checks and never reaches students. Only
notebooks go into ``source/``: nbgrader copies any other file there into the release.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder import registry as registry_module
from autograder.authoring import lessons
from autograder.classroom.nbgrader_hooks import (
    ANSWER_PREFIX,
    CHECK_PREFIX,
    COURSE_ID,
    PLACEHOLDER_MARK,
)
from autograder.registry import Exercise, Lesson, Registry

CONFIG_TEXT = """\
# Written by `python -m autograder course init`. The workbook's part of the set-up lives in
# autograder.classroom.nbgrader_hooks.configure; add your own settings below it.
from autograder.classroom.nbgrader_hooks import configure

c = get_config()  # noqa: F821 - nbgrader provides get_config when it reads this file
configure(c)
"""
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"


class CourseExists(FileExistsError):
    pass


def init_course(
    directory: Path, registry: Registry | None = None, *, force: bool = False
) -> list[Path]:
    """Write the course; refuses to overwrite an existing one unless ``force``."""
    registry = registry or registry_module.load()
    config_path = directory / "nbgrader_config.py"
    if config_path.exists() and not force:
        raise CourseExists(
            f"{directory} already holds a course ({config_path.name}). Pass --force to rebuild "
            "its nbgrader_config.py and source/ notebooks; the gradebook and submissions stay."
        )
    directory.mkdir(parents=True, exist_ok=True)
    config_path.write_text(CONFIG_TEXT, encoding="utf-8")
    written = [config_path]
    for lesson in registry.lessons:
        notebook = source_notebook(lesson, registry)
        path = directory / "source" / lesson.id / lesson.notebook_name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.validate(notebook)
        nbformat.write(notebook, path)
        written.append(path)
    return written


def source_notebook(lesson: Lesson, registry: Registry) -> NotebookNode:
    """The lesson with reference answers and nbgrader's cell metadata."""
    notebook = lessons.build(lesson, registry, use_reference=True)
    for cell in notebook.cells:
        role = cell.metadata.get("workbook", {})
        if role.get("role") == "exercise":
            cell.metadata["nbgrader"] = _nbgrader_cell(
                ANSWER_PREFIX + role["exercise"], solution=True
            )
        elif role.get("role") == "check":
            exercise = registry.exercise(role["exercise"])
            cell.source = check_cell_source(exercise)
            cell.metadata["nbgrader"] = _check_metadata(exercise)
        elif role.get("role") is not None:
            # Set-up cells: a student who edits them only breaks their own notebook, and
            # nbgrader restores locked cells before grading.
            cell.metadata["nbgrader"] = _nbgrader_cell(f"{role['role']}-{cell.id}", locked=True)
    notebook.metadata["workbook"]["course"] = COURSE_ID
    return notebook


def _check_metadata(exercise: Exercise) -> dict[str, object]:
    return _nbgrader_cell(
        CHECK_PREFIX + exercise.id, grade=True, locked=True, points=exercise.points
    )


def check_cell(exercise: Exercise) -> NotebookNode:
    """A check cell as the source has it (nbgrader restores its source when grading)."""
    cell = nbformat.v4.new_code_cell(check_cell_source(exercise))
    cell.metadata["workbook"] = {"role": "check", "exercise": exercise.id}
    cell.metadata["nbgrader"] = _check_metadata(exercise)
    return cell


def placeholder_answer_cell(exercise: Exercise, reason: str | None = None) -> NotebookNode:
    """Stands in for an answer cell missing from a submission; it is never graded as code.

    ``reason`` (one line) is what the exercise's result says; without it, the cell was missing.
    """
    text = reason or f"The answer cell for {exercise.id} was missing from this submission."
    cell = nbformat.v4.new_code_cell(f"{PLACEHOLDER_MARK} {' '.join(text.split())}")
    cell.metadata["workbook"] = {"role": "exercise", "exercise": exercise.id}
    cell.metadata["nbgrader"] = _nbgrader_cell(ANSWER_PREFIX + exercise.id, solution=True)
    return cell


def check_cell_source(exercise: Exercise) -> str:
    return (
        f"{lessons.check_cell_source(exercise)}\n"
        f"{BEGIN_HIDDEN}\n"
        f'check("{exercise.id}", hidden=True)\n'
        f"{END_HIDDEN}"
    )


def _nbgrader_cell(
    grade_id: str,
    *,
    solution: bool = False,
    grade: bool = False,
    locked: bool = False,
    points: int | None = None,
) -> dict[str, object]:
    cell: dict[str, object] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        cell["points"] = points
    return cell
