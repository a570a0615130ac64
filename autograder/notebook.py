"""The workbook inside a Jupyter kernel: the ``%%exercise`` cell magic and ``check()``.

An exercise cell starts with ``%%exercise <id>``. Running it runs the code as usual (so the
learner can try their app in later cells) and remembers its source. The check cell calls
``check("<id>")``, which runs the visible checks on that source and shows one screen of results.
A failing check raises ``ExerciseNotPassed`` so that the cell is marked as failed (nbgrader and
"Run All" both rely on that), with a one-line traceback instead of a raw one.
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass, field
from typing import Any

from autograder import registry
from autograder.results import ExerciseResult

RESULT_MIME = "application/vnd.fastapi-workbook.result+json"


@dataclass
class NotebookSession:
    """What one kernel remembers: the latest source of each exercise cell, the last result.

    A kernel serves one learner, so the kernel process is this session's natural lifetime.
    """

    sources: dict[str, str] = field(default_factory=dict)
    last_result: ExerciseResult | None = None


SESSION = NotebookSession()


class ExerciseNotRun(Exception):
    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class WorkbookError(Exception):
    pass


class ExerciseNotPassed(Exception):
    def __init__(self, result: ExerciseResult) -> None:
        self.result = result
        failing = len(result.failures())
        super().__init__(
            f"{result.exercise_id}: {failing} of {len(result.checks)} checks do not pass yet "
            "(details above; check(..., traceback=True) shows raw tracebacks)"
        )

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of a traceback: the report above says it all.
        return [f"{type(self).__name__}: {self}"]


def exercise_magic(line: str, cell: str) -> None:
    """``%%exercise ID``: run this cell and remember it as the learner's answer to ID."""
    from IPython import get_ipython

    exercise_id = line.strip()
    try:
        registry.load().exercise(exercise_id)
    except KeyError as error:
        raise ExerciseNotRun(str(error.args[0])) from None
    SESSION.sources[exercise_id] = cell
    filename = f"<exercise {exercise_id} (your cell)>"
    linecache.cache[filename] = (len(cell), None, cell.splitlines(keepends=True), filename)
    shell = get_ipython()
    namespace = shell.user_ns if shell is not None else {}
    exec(compile(cell, filename, "exec"), namespace)


def check(exercise_id: str, *, traceback: bool = False) -> None:
    """Run the visible checks for ``exercise_id`` on the code of its exercise cell."""
    from IPython.display import display

    from autograder.runner import run_checks

    source = SESSION.sources.get(exercise_id)
    if source is None:
        raise ExerciseNotRun(
            f"Run the exercise cell for {exercise_id} first (the one that starts with "
            f"%%exercise {exercise_id}), then run this check again."
        )
    try:
        result = run_checks(exercise_id, source)
    except Exception as error:  # the workbook's own failure, never the learner's
        raise WorkbookError(
            f"The checks for {exercise_id} could not run: {error}. This is a fault in the "
            "workbook, not in your code; restart the kernel and try again, and report it if it "
            "stays."
        ) from error
    SESSION.last_result = result
    display(
        {
            "text/plain": result.render_text(show_tracebacks=traceback),
            "text/html": result.render_html(show_tracebacks=traceback),
            RESULT_MIME: result.to_json(include_tracebacks=traceback),
        },
        raw=True,
    )
    if not result.passed:
        raise ExerciseNotPassed(result)


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magic_function(exercise_magic, magic_kind="cell", magic_name="exercise")
