"""Build the lesson notebooks from their text sources and the registry.

A lesson's story is written in ``lessons/src/<lesson>.md`` (jupytext's markdown format, so
authors edit and review plain text). The notebook is derived, never edited by hand:

- a setup cell goes after the first markdown cell, and a progress cell after it: it shows this
  lesson's done and pending exercises and the whole workbook's, with bars that follow every
  check (``progress()`` in :mod:`autograder.learner.notebook`);
- each line ``<!-- exercise: ID -->`` becomes a line of facts from the registry (points,
  items taught), the exercise cell (``%%exercise ID`` and the starter) and its check cell;
- each bad/good pair (``autograder.authoring.pairs``) is rewritten so that JupyterLab shows both
  columns from the top, with no grey box round the shorter one (``pairs.for_jupyterlab``).

Cells carry ``metadata.workbook`` (``role`` and ``exercise``), which grading and progress read;
their ids are stable so a rebuild changes nothing unless a source changed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from autograder import registry as registry_module
from autograder.authoring import pairs
from autograder.registry import Exercise, Lesson, Registry

if TYPE_CHECKING:
    from nbformat import NotebookNode

# jupytext and nbformat are imported where notebooks are built: the cell texts below are also
# used by reset and reveal, in a kernel or a terminal, which should not wait for them.

MARKER = re.compile(r"^<!--\s*exercise:\s*(?P<id>[\w-]+)\s*-->\s*$")
SETUP_SOURCE = (
    "%load_ext autograder\n"
    "from autograder import check, check_all, hint, progress, reset, reveal, serve, stop_serving"
)
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class LessonSourceError(ValueError):
    pass


def exercise_cell_source(exercise: Exercise, code: str) -> str:
    return f"%%exercise {exercise.id}\n{code.rstrip()}\n"


def progress_cell_source(lesson: Lesson) -> str:
    return f'progress("{lesson.id}")'


def check_cell_source(exercise: Exercise) -> str:
    # The import makes the cell work on its own: after a kernel restart a learner often runs
    # the check before the setup cell, and check() loads the workbook's magics itself.
    return f'from autograder import check\ncheck("{exercise.id}")'


def facts_markdown(exercise: Exercise, registry: Registry) -> str:
    taught = "\n".join(f"- `{item}`: {registry.catalog[item]}" for item in exercise.seed_items)
    plural = "s" if exercise.points != 1 else ""
    return (
        f"*Exercise `{exercise.id}` · {exercise.points} point{plural}.* It teaches:\n\n{taught}\n\n"
        "Edit the cell below, run it, then run the check under it."
    )


def build(lesson: Lesson, registry: Registry, *, use_reference: bool = False) -> NotebookNode:
    """The lesson notebook; with ``use_reference`` the exercise cells hold the reference."""
    import jupytext
    import nbformat

    if not lesson.source_path.is_file():
        raise LessonSourceError(f"{lesson.id} has no source at {lesson.source_path}")
    source = jupytext.read(lesson.source_path, fmt="md")
    cells: list[NotebookNode] = []
    placed: list[str] = []
    for index, cell in enumerate(source.cells):
        if cell.cell_type == "markdown":
            cells.extend(_expand_markdown(cell.source, lesson, registry, placed, use_reference))
        else:
            cells.append(nbformat.v4.new_code_cell(cell.source))
        if index == 0:
            setup = nbformat.v4.new_code_cell(SETUP_SOURCE)
            setup.metadata["workbook"] = {"role": "setup"}
            shown = nbformat.v4.new_code_cell(progress_cell_source(lesson))
            shown.metadata["workbook"] = {"role": "progress", "lesson": lesson.id}
            cells.extend([setup, shown])
    expected = [exercise.id for exercise in registry.exercises_of(lesson.id)]
    if placed != expected:
        raise LessonSourceError(
            f"{lesson.source_path.name} places exercises {placed}; the registry lists {expected} "
            "for this lesson, in that order"
        )
    _assign_ids(cells)
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
        "workbook": {"lesson": lesson.id, "title": lesson.title},
    }
    return notebook


def _assign_ids(cells: list[NotebookNode]) -> None:
    """Stable ids: by role where a cell has one, else by position.

    The progress cell takes no position, so the cells after it kept the ids they had before
    it existed (learners' notebooks and links keep pointing at the same cells).
    """
    number = 0
    for cell in cells:
        role = cell.metadata.get("workbook", {})
        if role.get("role") in ("setup", "progress"):
            cell.id = role["role"]
        elif "exercise" in role:
            cell.id = f"{role['role']}-{role['exercise']}"
        else:
            cell.id = f"cell-{number:03d}"
        if role.get("role") != "progress":
            number += 1


def _expand_markdown(
    text: str, lesson: Lesson, registry: Registry, placed: list[str], use_reference: bool
) -> list[NotebookNode]:
    import nbformat

    cells: list[NotebookNode] = []
    pending: list[str] = []

    def flush() -> None:
        if "".join(pending).strip():
            markdown = "\n".join(pending).strip("\n")
            try:
                markdown = pairs.for_jupyterlab(markdown)
            except pairs.PairFormatError as error:
                raise pairs.PairFormatError(f"{lesson.source_path.name}: {error}") from None
            cells.append(nbformat.v4.new_markdown_cell(markdown))
        pending.clear()

    for line in text.splitlines():
        match = MARKER.match(line.strip())
        if not match:
            pending.append(line)
            continue
        try:
            exercise = registry.exercise(match["id"])
        except KeyError as error:
            raise LessonSourceError(f"{lesson.source_path.name}: {error.args[0]}") from None
        if exercise.lesson != lesson.id:
            raise LessonSourceError(f"{exercise.id} belongs to {exercise.lesson}, not {lesson.id}")
        placed.append(exercise.id)
        pending.append("")
        pending.append(facts_markdown(exercise, registry))
        flush()
        code = exercise.reference_source() if use_reference else exercise.starter_source()
        answer = nbformat.v4.new_code_cell(exercise_cell_source(exercise, code))
        answer.metadata["workbook"] = {"role": "exercise", "exercise": exercise.id}
        checking = nbformat.v4.new_code_cell(check_cell_source(exercise))
        checking.metadata["workbook"] = {"role": "check", "exercise": exercise.id}
        cells.extend([answer, checking])
    flush()
    return cells


def write_all(registry: Registry | None = None) -> list[Path]:
    import nbformat

    registry = registry or registry_module.load()
    written = []
    for lesson in registry.lessons:
        notebook = build(lesson, registry)
        nbformat.validate(notebook)
        nbformat.write(notebook, lesson.notebook_path)
        written.append(lesson.notebook_path)
    return written


def comparable(notebook: NotebookNode) -> list[tuple[str, str, str, dict[str, object]]]:
    """What must match between a built notebook and the one on disk (outputs do not count)."""
    return [
        (cell.get("id", ""), cell.cell_type, cell.source, dict(cell.metadata))
        for cell in notebook.cells
    ]
