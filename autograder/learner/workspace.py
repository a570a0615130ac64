"""The learner's own copies of the lessons, safe from updates to the workbook.

The lesson notebooks in ``lessons/`` belong to the workbook and change when it is updated
(``git pull``). A learner works in ``workspace/`` (``WORKBOOK_WORKSPACE`` moves it), which git
ignores, so an update never conflicts with an answer. ``prepare()`` runs before JupyterLab
starts (``make lab``):

- a lesson the workspace does not have yet is copied in;
- a lesson whose notebook changed since it was copied gets the new notebook, with every
  answer the learner wrote carried over by exercise id; the copy it replaces is kept in
  ``workspace/.previous/``, so nothing is ever lost;
- an unchanged lesson is left alone.

Each copy records which version of the lesson it was made from (``metadata.workbook``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from autograder import registry as registry_module
from autograder.registry import Lesson, project_root

WORKSPACE_ENV = "WORKBOOK_WORKSPACE"
PREVIOUS = ".previous"


def workspace_dir() -> Path:
    configured = os.environ.get(WORKSPACE_ENV)
    return Path(configured) if configured else project_root() / "workspace"


def notebook_path(lesson: Lesson) -> Path:
    """The notebook the learner works in: their copy, once there is one."""
    copy = workspace_dir() / lesson.notebook_name
    return copy if copy.is_file() else lesson.notebook_path


@dataclass(frozen=True)
class Change:
    lesson: str
    what: str  # "copied", "updated", "kept"
    detail: str = ""

    def describe(self) -> str:
        return f"{self.lesson}: {self.what}{f' ({self.detail})' if self.detail else ''}"


def prepare(directory: Path | None = None) -> list[Change]:
    directory = directory or workspace_dir()
    directory.mkdir(parents=True, exist_ok=True)
    changes = []
    for lesson in registry_module.load().lessons:
        changes.append(_prepare_lesson(lesson, directory / lesson.notebook_name))
    return changes


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, notebook: dict[str, Any]) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(path)


def _source_digest(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else source
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _stamped(notebook: dict[str, Any], version: str) -> dict[str, Any]:
    """Record the lesson's version, and what each exercise cell held when it was handed out."""
    notebook.setdefault("metadata", {}).setdefault("workbook", {})["lesson_version"] = version
    for cell in _exercise_cells(notebook).values():
        cell["metadata"]["workbook"]["handed_out"] = _source_digest(cell)
    return notebook


def _prepare_lesson(lesson: Lesson, copy: Path) -> Change:
    version = _digest(lesson.notebook_path)
    if not copy.is_file():
        _write(copy, _stamped(_read(lesson.notebook_path), version))
        return Change(lesson.id, "copied")
    try:
        mine = _read(copy)
    except (OSError, ValueError):
        return Change(lesson.id, "kept", "your copy is not readable notebook JSON; left alone")
    if mine.get("metadata", {}).get("workbook", {}).get("lesson_version") == version:
        return Change(lesson.id, "kept")
    kept = copy.parent / PREVIOUS / f"{copy.stem}.{datetime.now(UTC):%Y%m%dT%H%M%S}.ipynb"
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(copy, kept)
    fresh = _stamped(_read(lesson.notebook_path), version)
    carried = _carry_answers(mine, fresh)
    _write(copy, fresh)
    return Change(
        lesson.id,
        "updated",
        f"the lesson changed; {carried} of your answers carried over; your previous copy is "
        f"{kept.relative_to(copy.parent)}",
    )


def _exercise_cells(notebook: dict[str, Any]) -> dict[str, dict[str, Any]]:
    cells = {}
    for cell in notebook.get("cells", []):
        marks = cell.get("metadata", {}).get("workbook", {})
        if marks.get("role") == "exercise" and marks.get("exercise"):
            cells.setdefault(marks["exercise"], cell)
    return cells


def _carry_answers(old: dict[str, Any], new: dict[str, Any]) -> int:
    """Put the learner's exercise cells into the new notebook; how many were carried."""
    theirs = _exercise_cells(old)
    carried = 0
    for exercise_id, cell in _exercise_cells(new).items():
        mine = theirs.get(exercise_id)
        if mine is None:
            continue
        handed_out = mine.get("metadata", {}).get("workbook", {}).get("handed_out")
        edited = _source_digest(mine) != (handed_out or _source_digest(cell))
        if edited:  # an untouched starter gives way to the new one
            cell["source"] = mine.get("source", "")
            carried += 1
    return carried
