"""Build the lesson notebooks from their text sources and the registry.

A lesson's story is written in ``lessons/src/<lesson>.md`` (jupytext's markdown format, so
authors edit and review plain text). The notebook is derived, never edited by hand:

- a setup cell goes after the first markdown cell;
- each line ``<!-- exercise: ID -->`` becomes a line of facts from the registry (points,
  items taught), the exercise cell (``%%exercise ID`` and the starter) and its check cell.

Cells carry ``metadata.workbook`` (``role`` and ``exercise``), which grading and progress read;
their ids are stable so a rebuild changes nothing unless a source changed.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat
from nbformat import NotebookNode

from autograder import registry as registry_module
from autograder.registry import Exercise, Lesson, Registry

MARKER = re.compile(r"^<!--\s*exercise:\s*(?P<id>[\w-]+)\s*-->\s*$")
SETUP_SOURCE = "%load_ext autograder\nfrom autograder import check"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class LessonSourceError(ValueError):
    pass


def exercise_cell_source(exercise: Exercise, code: str) -> str:
    return f"%%exercise {exercise.id}\n{code.rstrip()}\n"


def check_cell_source(exercise: Exercise) -> str:
    return f'check("{exercise.id}")'


def facts_markdown(exercise: Exercise, registry: Registry) -> str:
    taught = "\n".join(f"- `{item}`: {registry.catalog[item]}" for item in exercise.seed_items)
    plural = "s" if exercise.points != 1 else ""
    return (
        f"*Exercise `{exercise.id}` · {exercise.points} point{plural}.* It teaches:\n\n{taught}\n\n"
        "Edit the cell below, run it, then run the check under it."
    )


def build(lesson: Lesson, registry: Registry, *, use_reference: bool = False) -> NotebookNode:
    """The lesson notebook; with ``use_reference`` the exercise cells hold the reference."""
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
            cells.append(setup)
    expected = [exercise.id for exercise in registry.exercises_of(lesson.id)]
    if placed != expected:
        raise LessonSourceError(
            f"{lesson.source_path.name} places exercises {placed}; the registry lists {expected} "
            "for this lesson, in that order"
        )
    for number, cell in enumerate(cells):
        role = cell.metadata.get("workbook", {})
        cell.id = (
            f"{role['role']}-{role['exercise']}" if "exercise" in role else f"cell-{number:03d}"
        )
        if role.get("role") == "setup":
            cell.id = "setup"
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
        "workbook": {"lesson": lesson.id, "title": lesson.title},
    }
    return notebook


def _expand_markdown(
    text: str, lesson: Lesson, registry: Registry, placed: list[str], use_reference: bool
) -> list[NotebookNode]:
    cells: list[NotebookNode] = []
    pending: list[str] = []

    def flush() -> None:
        if "".join(pending).strip():
            cells.append(nbformat.v4.new_markdown_cell("\n".join(pending).strip("\n")))
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
