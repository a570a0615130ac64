"""Reset an exercise cell to its starter, or load the reference into it.

Two places can do it:

- inside a notebook, the kernel replaces the cell that is running, the way IPython's ``%load``
  does (``shell.set_next_input(text, replace=True)``): type ``reset("ID")`` in the exercise
  cell, run it, and the cell holds ``%%exercise ID`` and the starter again (see
  :mod:`autograder.learner.notebook`);
- from a terminal, :func:`rewrite_exercise_cell` rewrites the exercise's cell in a notebook
  file, leaving every other cell and output as it was, byte for byte. It edits the notebook's
  JSON directly and writes it the way nbformat (and so JupyterLab) does; nbformat itself is
  not needed for that, and importing it costs a learner seconds at every command.

Nothing a learner wrote is lost silently: the replaced content is kept in the progress store
(``python -m autograder backups ID`` lists it) and a file rewrite leaves the notebook as it was
beside it, as ``NOTEBOOK.bak``. The reference is loaded only once the exercise has passed, or
when the learner confirms they want it before.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.authoring.lessons import exercise_cell_source
from autograder.learner.progress_store import ProgressStore, ProgressUnavailable
from autograder.registry import Exercise, lessons_dir


class NotebookCellError(Exception):
    """The notebook file cannot be rewritten; the message says what to do next."""


def starter_cell(exercise: Exercise) -> str:
    """The exercise cell as delivered: ``%%exercise ID`` and the starter."""
    return exercise_cell_source(exercise, exercise.starter_source())


def reference_cell(exercise: Exercise) -> str:
    """The exercise cell holding the reference (``FileNotFoundError`` in a classroom)."""
    return exercise_cell_source(exercise, exercise.reference_source())


def has_passed(exercise: Exercise, store: ProgressStore) -> bool:
    """Whether the store saw this exercise pass; an unreadable store counts as not yet."""
    try:
        return store.has_passed(exercise.id)
    except ProgressUnavailable:
        return False


def withheld_reference_message(exercise: Exercise, how_to_confirm: str) -> str:
    return (
        f"{exercise.id} has not passed its checks yet, so its reference stays hidden: solving "
        "it yourself is where the learning happens. Ask for a hint first (each request is "
        f"more specific). To load the reference anyway, confirm: {how_to_confirm}."
    )


@dataclass(frozen=True)
class KeptCell:
    """Where a replaced cell's content went, for the message to the learner."""

    number: int | None = None  # its number in the store, for `python -m autograder backups`
    problem: str = ""  # why the store could not keep it

    def describe(self, exercise: Exercise) -> str:
        if self.number is not None:
            return (
                f"Your previous code is kept as backup #{self.number}: "
                f"`python -m autograder backups {exercise.id} --show {self.number}` prints it."
            )
        if self.problem:
            return f"Your previous code could not be kept in the progress store: {self.problem}"
        return ""


def keep_replaced(
    exercise: Exercise, old_source: str | None, reason: str, store: ProgressStore
) -> KeptCell:
    """Keep what is about to be replaced, unless it holds nothing the learner wrote."""
    if old_source is None or not old_source.strip():
        return KeptCell()
    nothing_written = {_normalise(starter_cell(exercise)), _normalise(exercise.starter_source())}
    try:
        nothing_written |= {
            _normalise(reference_cell(exercise)),
            _normalise(exercise.reference_source()),
        }
    except FileNotFoundError:
        pass  # no reference here: a cell cannot equal it
    if _normalise(old_source) in nothing_written:
        return KeptCell()
    try:
        return KeptCell(number=store.save_cell(exercise.id, old_source, reason))
    except ProgressUnavailable as error:
        return KeptCell(problem=str(error))


def _normalise(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


# --- notebook files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CellRewrite:
    """What :func:`rewrite_exercise_cell` did."""

    notebook: Path
    exercise: Exercise
    changed: bool
    backup: Path | None = None
    kept: KeptCell = KeptCell()


def backup_path(notebook_path: Path) -> Path:
    return notebook_path.with_name(notebook_path.name + ".bak")


Cell = dict[str, Any]  # one cell of a notebook's JSON


def read_notebook(path: Path, exercise: Exercise) -> tuple[bytes, dict[str, Any]]:
    """The file's bytes and its JSON; :class:`NotebookCellError` says what to do next."""
    default = f"lessons/{exercise.lesson}.ipynb"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotebookCellError(
            f"There is no notebook at {path}. {exercise.id} belongs to lesson "
            f"{exercise.lesson}: pass its notebook ({default}), or leave the path out to use "
            f"it. `git checkout {default}` brings back the delivered one."
        ) from None
    except OSError as error:
        raise NotebookCellError(
            f"Cannot read {path}: {error.strerror}. Pass the path of a .ipynb file you can read."
        ) from None
    try:
        notebook = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotebookCellError(_damaged(path, f"not valid JSON: {error}")) from None
    if not isinstance(notebook, dict) or notebook.get("nbformat") != 4:
        raise NotebookCellError(_damaged(path, "not a version 4 Jupyter notebook"))
    cells = notebook.get("cells")
    if not isinstance(cells, list) or not all(_is_cell(cell) for cell in cells):
        raise NotebookCellError(_damaged(path, "its list of cells is damaged"))
    return raw, notebook


def _is_cell(cell: object) -> bool:
    return (
        isinstance(cell, dict)
        and isinstance(cell.get("cell_type"), str)
        and isinstance(cell.get("source"), str | list)
        and isinstance(cell.get("metadata", {}), dict)
    )


def cell_source(cell: Cell) -> str:
    """A cell's text: notebook files hold it as one string or as a list of lines."""
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _damaged(path: Path, detail: str) -> str:
    first_line = detail.splitlines()[0] if detail else "unknown problem"
    backup = backup_path(path)
    if backup.exists():
        restore = f"copying {backup} over it"
    elif path.resolve().parent == lessons_dir().resolve():
        restore = f"`git checkout {path}`"
    else:
        restore = "a copy you kept"
    return (
        f"{path} is not a notebook that can be read ({first_line}). If it is open in "
        f"JupyterLab, save it there and try again; if the file is damaged, {restore} brings "
        "a working one back."
    )


def _marks(cell: Cell, exercise: Exercise) -> bool:
    workbook = cell.get("metadata", {}).get("workbook")
    return (
        isinstance(workbook, dict)
        and workbook.get("role") == "exercise"
        and workbook.get("exercise") == exercise.id
    )


def find_exercise_cell(notebook: dict[str, Any], exercise: Exercise, path: Path) -> int:
    """The index of the exercise's cell: marked by ``metadata.workbook``, else by its magic."""
    code_cells = [
        (index, cell) for index, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "code"
    ]
    marked = [index for index, cell in code_cells if _marks(cell, exercise)]
    # A cell typed again by hand has no metadata; its first line still names the exercise.
    by_magic = [
        index
        for index, cell in code_cells
        if _first_line(cell_source(cell)) == f"%%exercise {exercise.id}"
    ]
    found = marked or by_magic
    if not found:
        raise NotebookCellError(
            f"{path} has no exercise cell for {exercise.id} (a cell starting with "
            f"`%%exercise {exercise.id}`). {exercise.id} belongs to lesson {exercise.lesson}; "
            f"pass that lesson's notebook (lessons/{exercise.lesson}.ipynb)."
        )
    if len(found) > 1:
        numbers = ", ".join(str(index + 1) for index in found)
        raise NotebookCellError(
            f"{path} has {len(found)} exercise cells for {exercise.id} (cells {numbers}). Delete "
            "the ones you do not want, save, and run this again."
        )
    return found[0]


def _first_line(source: str) -> str:
    return " ".join(source.strip().splitlines()[0].split()) if source.strip() else ""


def rewrite_exercise_cell(
    path: Path,
    exercise: Exercise,
    new_source: str,
    *,
    reason: str,
    store: ProgressStore | None = None,
) -> CellRewrite:
    """Replace the exercise's cell in the file at ``path``; every other cell stays as it was.

    The old cell goes to the progress store, the old file to ``NOTEBOOK.bak``, and the new
    file replaces the old one atomically, so a crash leaves either the old or the new notebook.
    The rewritten cell loses its outputs: they came from code that is no longer there.
    """
    store = store or ProgressStore()
    raw, notebook = read_notebook(path, exercise)
    cell = notebook["cells"][find_exercise_cell(notebook, exercise, path)]
    old_source = cell_source(cell)
    if old_source == new_source:
        return CellRewrite(path, exercise, changed=False)
    kept = keep_replaced(exercise, old_source, reason, store)
    backup = backup_path(path)
    try:
        _write_atomically(backup, raw, like=path)
    except OSError as error:
        raise NotebookCellError(
            f"Cannot write the backup {backup} ({error.strerror}), so {path} was left as it "
            "was. Make its folder writable and try again."
        ) from None
    cell["source"] = new_source.splitlines(keepends=True)  # nbformat's way: one line each
    cell["outputs"] = []
    cell["execution_count"] = None
    # nbformat's own layout, so that the other cells come out exactly as they went in
    text = json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    try:
        _write_atomically(path, text.encode("utf-8"))
    except OSError as error:
        raise NotebookCellError(
            f"Cannot write {path} ({error.strerror}); it was left as it was."
        ) from None
    return CellRewrite(path, exercise, changed=True, backup=backup, kept=kept)


def _write_atomically(path: Path, data: bytes, *, like: Path | None = None) -> None:
    """Write beside the target, then rename over it: readers see the old file or the new one.

    The file gets the permissions of ``like`` (default: of the file it replaces), not the
    private ones a temporary file is created with.
    """
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        model = like if like is not None else path
        if model.exists():
            os.chmod(temporary, model.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
