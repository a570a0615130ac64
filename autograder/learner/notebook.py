"""The workbook inside a Jupyter kernel: the ``%%exercise`` cell magic, ``check()`` and friends.

An exercise cell starts with ``%%exercise <id>``. Running it runs the code as usual (so the
learner can try their app in later cells) and remembers its source. The check cell calls
``check("<id>")``, which runs the visible checks on that source and shows one screen of results.
A failing check raises ``ExerciseNotPassed`` so that the cell is marked as failed (nbgrader and
"Run All" both rely on that), with a one-line traceback instead of a raw one.

Every check is recorded in the progress store (:mod:`autograder.learner.progress_store`).
``progress()`` shows what is done and pending, and the bars it draws follow every later check in the
same kernel. ``hint("<id>")`` shows the next, more specific hint (:mod:`autograder.learner.hints`).
``reset("<id>")`` and ``reveal("<id>")`` replace the cell they run in with the exercise's starter or
reference (:mod:`autograder.learner.exercise_cells`); so do the line magics ``%reset_exercise <id>``
and ``%reveal_exercise <id> [--yes]``.
"""

from __future__ import annotations

import contextlib
import linecache
from dataclasses import dataclass, field
from typing import Any

from autograder import registry
from autograder.engine.answers import answer_code
from autograder.engine.results import ExerciseResult
from autograder.registry import Exercise

RESULT_MIME = "application/vnd.fastapi-workbook.result+json"
PROGRESS_DISPLAY_PREFIX = "workbook-progress"


@dataclass
class NotebookSession:
    """What one kernel remembers: the latest source of each exercise cell, the last result.

    A kernel serves one learner, so the kernel process is this session's natural lifetime.
    """

    sources: dict[str, str] = field(default_factory=dict)  # what is checked (magic as comment)
    cells: dict[str, str] = field(default_factory=dict)  # the cell's code as the learner wrote it
    last_result: ExerciseResult | None = None
    # progress() displays still on screen (display id -> lesson), redrawn after every check
    progress_displays: dict[str, str | None] = field(default_factory=dict)
    # a read-only home would otherwise repeat the same warning under every check
    warned_progress_not_saved: bool = False


SESSION = NotebookSession()


class _OneLineError(Exception):
    """An error whose message says it all: IPython shows this line instead of a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class ExerciseNotRun(_OneLineError):
    pass


class UnknownExercise(ExerciseNotRun):
    """An exercise id the registry does not hold."""


class NotInNotebook(_OneLineError):
    """A notebook-only call made where there is no IPython shell to replace a cell."""


class UsageError(_OneLineError):
    """A call the workbook cannot act on; the message says what to do instead."""


class WorkbookError(Exception):
    pass


class ExerciseNotPassed(_OneLineError):
    def __init__(self, result: ExerciseResult) -> None:
        self.result = result
        super().__init__(
            f"{self.summary} (details above; check(..., traceback=True) shows raw tracebacks)"
        )

    @property
    def summary(self) -> str:
        failing = len(self.result.failures())
        return (
            f"{self.result.exercise_id}: {failing} of {len(self.result.checks)} checks "
            "do not pass yet"
        )


def exercise_magic(line: str, cell: str) -> None:
    """``%%exercise ID``: run this cell and remember it as the learner's answer to ID."""
    from IPython import get_ipython

    exercise_id = line.strip()
    try:
        registry.load().exercise(exercise_id)
    except KeyError as error:
        raise UnknownExercise(str(error.args[0])) from None
    # The magic line stays as a comment: line numbers then match the editor's, here and in
    # every check.
    source = answer_code(f"%%exercise {exercise_id}\n{cell}")
    SESSION.sources[exercise_id] = source
    SESSION.cells[exercise_id] = cell
    filename = f"<exercise {exercise_id} (your cell)>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    shell = get_ipython()
    namespace = shell.user_ns if shell is not None else {}
    exec(compile(source, filename, "exec"), namespace)


def check(exercise_id: str, *, traceback: bool = False, hidden: bool = False) -> None:
    """Run the visible checks for ``exercise_id`` on the code of its exercise cell.

    ``hidden=True`` adds the hidden checks against the reference: an nbgrader course's source
    notebooks use it, on an instructor's machine where ``solutions/`` is present.
    """
    from IPython.display import display

    from autograder.engine.runner import run_checks

    source = SESSION.sources.get(exercise_id)
    if source is None:
        raise ExerciseNotRun(
            f"Run the exercise cell for {exercise_id} first (the one that starts with "
            f"%%exercise {exercise_id}), then run this check again."
        )
    try:
        result = run_checks(exercise_id, source, hidden=hidden)
    except Exception as error:  # the workbook's own failure, never the learner's
        raise WorkbookError(
            f"The checks for {exercise_id} could not run: {error}. This is a fault in the "
            "workbook, not in your code; restart the kernel and try again, and report it if it "
            "stays."
        ) from error
    SESSION.last_result = result
    display(result_bundle(result, show_tracebacks=traceback), raw=True)
    _record(result)
    if not result.passed:
        raise ExerciseNotPassed(result)


def result_bundle(result: ExerciseResult, *, show_tracebacks: bool = False) -> dict[str, object]:
    """A result as a display bundle: text, HTML and JSON (check cells and graded feedback)."""
    return {
        "text/plain": result.render_text(show_tracebacks=show_tracebacks),
        "text/html": result.render_html(show_tracebacks=show_tracebacks),
        RESULT_MIME: result.to_json(include_tracebacks=show_tracebacks),
    }


def _record(result: ExerciseResult) -> None:
    """Keep the result in the progress store; a store that fails never fails the check."""
    from autograder.learner.progress_store import record_result

    try:
        record_result(result)
    except Exception as error:  # the check itself is done; progress is a bonus
        _note_once(f"Note: your progress is not being saved, because {error}")
        return
    _redraw_progress()


def _note_once(message: str) -> None:
    """A problem with progress, shown under one check and not repeated under every later one."""
    from IPython.display import display

    if SESSION.warned_progress_not_saved:
        return
    SESSION.warned_progress_not_saved = True
    text = f"{message}\nChecks work as usual; this note is shown once per kernel."
    display({"text/plain": text}, raw=True)


# --- progress ------------------------------------------------------------------------------


def progress(lesson: str | None = None) -> None:
    """Show done and pending exercises with bars: ``lesson`` in detail, and the whole workbook.

    Without ``lesson`` every lesson is shown in detail. The display is redrawn after every
    later ``check()`` in this kernel, so the bars at the top of a lesson stay current.
    """
    from IPython.display import display

    from autograder.learner.progress_store import UnknownLesson, mime_bundle, summarize

    summary = summarize()
    try:
        bundle = mime_bundle(summary, lesson)
    except UnknownLesson as error:
        raise UsageError(str(error)) from None
    display_id = f"{PROGRESS_DISPLAY_PREFIX}-{lesson or 'all'}"
    display(bundle, raw=True, display_id=display_id)
    SESSION.progress_displays[display_id] = lesson


def _redraw_progress() -> None:
    from IPython.display import update_display

    from autograder.learner.progress_store import mime_bundle, summarize

    if not SESSION.progress_displays:
        return
    try:
        summary = summarize()
        for display_id, lesson in SESSION.progress_displays.items():
            update_display(mime_bundle(summary, lesson), raw=True, display_id=display_id)
    except Exception as error:  # a stale bar is better than a check that fails
        _note_once(f"Note: the progress display above could not be redrawn ({error}).")


# --- hints ---------------------------------------------------------------------------------


def hint(exercise_id: str, *, reveal: bool = False) -> None:
    """Show the next hint for ``exercise_id``, each call more specific than the last.

    The last tier is the reference solution. It is shown once the exercise has passed, or
    with ``reveal=True``: your confirmation that you want to see it now.
    """
    from IPython.display import display

    from autograder.learner.hints import next_hint

    exercise = _exercise(exercise_id)
    try:
        answer = next_hint(
            exercise.id,
            reveal=reveal,
            how_to_confirm=f'hint("{exercise.id}", reveal=True)',
        )
    except FileNotFoundError as error:
        raise UsageError(str(error)) from None
    display(answer.mime_bundle(), raw=True)


# --- reset and reveal ----------------------------------------------------------------------


def reset(exercise_id: str) -> None:
    """Replace the cell this runs in with the exercise's starter (``%%exercise ID`` and code).

    Type it in the exercise cell itself to start that exercise over. The code you last ran for
    the exercise is kept (``python -m autograder backups ID``). Nothing is checked or recorded:
    run the restored cell when you are ready.
    """
    from autograder.learner.exercise_cells import starter_cell

    exercise = _exercise(exercise_id)
    _replace_running_cell(
        exercise,
        starter_cell(exercise),
        reason="reset in the notebook",
        done=f"This cell now holds the starter of {exercise.id}: run it, then its check.",
    )


def reveal(exercise_id: str, *, confirm: bool = False) -> None:
    """Replace the cell this runs in with the exercise's reference solution.

    Allowed once the exercise has passed; before that, only with ``confirm=True``. The code you
    last ran for the exercise is kept (``python -m autograder backups ID``).
    """
    from IPython.display import display

    from autograder.learner.exercise_cells import (
        has_passed,
        reference_cell,
        withheld_reference_message,
    )
    from autograder.learner.progress_store import ProgressStore, ProgressUnavailable

    exercise = _exercise(exercise_id)
    store = ProgressStore()
    if not (confirm or has_passed(exercise, store)):
        message = withheld_reference_message(exercise, f'reveal("{exercise.id}", confirm=True)')
        display({"text/plain": message}, raw=True)
        return
    try:
        text = reference_cell(exercise)
    except FileNotFoundError as error:
        raise UsageError(str(error)) from None
    _replace_running_cell(
        exercise,
        text,
        reason="reveal in the notebook",
        done=(
            f"This cell now holds the reference for {exercise.id}. Compare it with your answer; "
            f'reset("{exercise.id}") brings the starter back.'
        ),
    )
    try:  # the reference is the last hint tier: hint() should not offer it as news
        from autograder.learner.hints import tier_count

        store.record_hint_shown(exercise.id, tier_count(exercise))
    except ProgressUnavailable:
        pass


def _replace_running_cell(exercise: Exercise, text: str, *, reason: str, done: str) -> None:
    from IPython import get_ipython
    from IPython.display import display

    from autograder.learner.exercise_cells import keep_replaced
    from autograder.learner.progress_store import ProgressStore

    shell = get_ipython()
    if shell is None:
        raise NotInNotebook(
            "This replaces a notebook cell, so it runs inside a notebook. In a terminal, "
            f"`python -m autograder reset {exercise.id}` rewrites the cell in the lesson's "
            "notebook file."
        )
    kept = keep_replaced(exercise, SESSION.cells.get(exercise.id), reason, ProgressStore())
    # What %load does: the front end swaps the running cell's text for ours.
    shell.set_next_input(text, replace=True)
    message = "\n".join(line for line in (done, kept.describe(exercise)) if line)
    display({"text/plain": message}, raw=True)


def _exercise(exercise_id: str) -> Exercise:
    from autograder.learner.progress_store import UnknownExercise as UnknownId
    from autograder.learner.progress_store import known_exercise

    try:
        return known_exercise(exercise_id)
    except UnknownId as error:
        raise UnknownExercise(str(error)) from None


def _warm_up_in_background() -> None:
    """Start the answer host and the fake services now, so the first check does not wait."""
    import threading

    def warm() -> None:
        from autograder.engine.answers import default_host
        from autograder.engine.runner import _notebook_services

        with contextlib.suppress(Exception):  # the first check will say what is wrong
            default_host()
            _notebook_services()

    threading.Thread(target=warm, name="workbook-warm-up", daemon=True).start()


def reset_exercise_magic(line: str) -> None:
    """``%reset_exercise ID``: this cell becomes the exercise's starter cell."""
    reset(line.strip())


def reveal_exercise_magic(line: str) -> None:
    """``%reveal_exercise ID [--yes]``: this cell becomes the reference (passed, or ``--yes``)."""
    words = line.split()
    flags = {word for word in words if word.startswith("-")}
    ids = [word for word in words if not word.startswith("-")]
    unknown_flags = flags - {"--yes", "-y"}
    if len(ids) != 1 or unknown_flags:
        raise UsageError("Usage: %reveal_exercise EXERCISE_ID [--yes]")
    reveal(ids[0], confirm=bool(flags))


def load_ipython_extension(ipython: Any) -> None:
    _warm_up_in_background()
    ipython.register_magic_function(exercise_magic, magic_kind="cell", magic_name="exercise")
    ipython.register_magic_function(
        reset_exercise_magic, magic_kind="line", magic_name="reset_exercise"
    )
    ipython.register_magic_function(
        reveal_exercise_magic, magic_kind="line", magic_name="reveal_exercise"
    )
