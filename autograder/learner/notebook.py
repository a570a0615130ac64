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
import copy
import html
import linecache
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder import registry
from autograder.engine.answers import answer_code
from autograder.engine.results import FAIL_COLOUR, PASS_COLOUR, ExerciseResult
from autograder.registry import Exercise

RESULT_MIME = "application/vnd.fastapi-workbook.result+json"
ALL_RESULTS_MIME = "application/vnd.fastapi-workbook.all-results+json"
# Check as soon as an exercise cell runs (rustlings' watch mode); WORKBOOK_WATCH=0 turns it off.
WATCH = os.environ.get("WORKBOOK_WATCH", "1") != "0"
PROGRESS_DISPLAY_PREFIX = "workbook-progress"


@dataclass
class NotebookSession:
    """What one kernel remembers: the latest source of each exercise cell, the last result.

    A kernel serves one learner, so the kernel process is this session's natural lifetime.
    """

    sources: dict[str, str] = field(default_factory=dict)  # what is checked (magic as comment)
    # exercise -> (source, hidden, result): a result is reused while its source is unchanged
    results: dict[str, tuple[str, bool, ExerciseResult]] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)  # the cell's code as the learner wrote it
    last_result: ExerciseResult | None = None
    # progress() displays still on screen (display id -> lesson), redrawn after every check
    progress_displays: dict[str, str | None] = field(default_factory=dict)
    served: dict[str, Any] = field(default_factory=dict)  # exercise -> app started by serve()
    # exercise -> the process that ends that app if this kernel dies first (serve_watchdog)
    watchdogs: dict[str, Any] = field(default_factory=dict)
    # a read-only home would otherwise repeat the same warning under every check
    warned_progress_not_saved: bool = False


SESSION = NotebookSession()


ERROR_WIDTH = 88  # columns: JupyterLab's error box breaks a longer line inside its words


class _OneLineError(Exception):
    """An error whose message says it all: IPython shows it instead of a traceback.

    JupyterLab's output boxes break a line too long for them anywhere (CSS ``word-break:
    break-all``), mid-word; the message is wrapped at spaces to ``ERROR_WIDTH`` columns instead,
    still one entry of the traceback (the error's own text, what nbgrader shows, is unchanged).
    """

    def _render_traceback_(self) -> list[str]:
        import textwrap

        text = f"{type(self).__name__}: {self}"
        return [
            "\n".join(
                textwrap.fill(line, ERROR_WIDTH, break_long_words=False, break_on_hyphens=False)
                for line in text.splitlines() or [""]
            )
        ]


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
    POINTER = "Details above; check(..., traceback=True) shows raw tracebacks."

    def __init__(self, result: ExerciseResult) -> None:
        self.result = result
        super().__init__(f"{self.summary}. {self.POINTER}")

    def _render_traceback_(self) -> list[str]:
        # Not wrapped at a width: a row's name and `check(..., traceback=True)` stay whole. The
        # pointer to the details goes on a line of its own, after the verdict's sentence.
        return [f"{type(self).__name__}: {self.summary}.\n{self.POINTER}"]

    @property
    def summary(self) -> str:
        failures = self.result.failures()
        # The first failing row by name: nbgrader's "validate" and feedback show this one line,
        # cut at its width, without the rows above it.
        first = (
            f"{', the first' if len(failures) > 1 else ''}: {failures[0].name}" if failures else ""
        )
        return (
            f"{self.result.exercise_id}: {len(failures)} of {len(self.result.checks)} checks "
            f"{'does' if len(failures) == 1 else 'do'} not pass yet{first}"
        )


def exercise_magic(line: str, cell: str) -> None:
    """``%%exercise ID``: run this cell, remember it as the answer to ID, and check it.

    The verdict shows under the cell itself (rustlings' watch mode): running the cell is all
    a learner has to do. The check cell below shows the same result in full.
    """
    from IPython import get_ipython

    exercise_id = _exercise(line.strip()).id
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
    if WATCH:
        _show_verdict(exercise_id, source)


def _show_verdict(exercise_id: str, source: str) -> None:
    from IPython.display import display

    result, fresh = _checked(exercise_id, source, hidden=False)
    if fresh:
        _record(result)
    elif result.passed:
        _set_next_step(result)
    display(verdict_bundle(result), raw=True)


def verdict_bundle(result: ExerciseResult) -> dict[str, object]:
    """One line under the exercise cell: the verdict, and where the details are."""
    passed = sum(check.passed for check in result.checks)
    total = len(result.checks)
    if result.passed:
        text = f"✔ {result.exercise_id}: passed ({passed}/{total} checks). {result.next_step}"
        colour = PASS_COLOUR
    else:
        first = result.failures()[0].name
        text = (
            f"✘ {result.exercise_id}: not yet ({passed}/{total} checks): {first}. "
            "The check cell below says why."
        )
        colour = FAIL_COLOUR
    html_text = html.escape(text.strip())
    return {
        "text/plain": text.strip(),
        "text/html": f"<div class='wb-verdict' data-exercise='{html.escape(result.exercise_id)}' "
        f"data-status='{result.status}' style='color:{colour};font-weight:bold'>{html_text}</div>",
    }


def _checked(exercise_id: str, source: str, *, hidden: bool) -> tuple[ExerciseResult, bool]:
    """The result for this exact source, and whether it is new (checked now, not reused).

    A source is checked once (by its exercise cell, in watch mode) and its result reused by the
    check cell until the source changes; it is recorded in the progress store only once.
    """
    from autograder.engine.runner import run_checks

    cached = SESSION.results.get(exercise_id)
    if cached is not None and cached[0] == source and cached[1] == hidden:
        return copy.deepcopy(cached[2]), False
    try:
        result = run_checks(exercise_id, source, hidden=hidden)
    except Exception as error:  # the workbook's own failure, never the learner's
        raise WorkbookError(
            f"The checks for {exercise_id} could not run: {error}. This is a fault in the "
            "workbook, not in your code; restart the kernel and try again, and report it if it "
            "stays."
        ) from error
    SESSION.results[exercise_id] = (source, hidden, copy.deepcopy(result))
    return result, True


def _source_to_check(exercise_id: str) -> tuple[str, str]:
    """The code to check, and a note when it is not what the kernel last ran.

    The exercise cell as it is on screen wins (the server holds the live notebook): a verdict
    is never about code the learner no longer sees.
    """
    from autograder.learner import live_cells

    ran = SESSION.sources.get(exercise_id)
    live = live_cells.read()
    on_screen = live.get(exercise_id) if live else None
    if on_screen is not None:
        shown = answer_code(on_screen)
        if ran is None:
            return shown, (
                "You have not run the exercise cell in this kernel: this checks it as it is on "
                "screen. Run it too, to use the code in your own cells."
            )
        if shown.rstrip() != ran.rstrip():
            return shown, (
                "The exercise cell changed since you last ran it: this checks it as it is on "
                "screen now. Run it too, to use the new code in your own cells."
            )
        return ran, ""
    if ran is None:
        raise ExerciseNotRun(
            f"Run the exercise cell for {exercise_id} first (the one that starts with "
            f"%%exercise {exercise_id}), then run this check again."
        )
    return ran, ""


def check(exercise_id: str, *, traceback: bool = False, hidden: bool = False) -> None:
    """Run the visible checks for ``exercise_id`` on the code of its exercise cell.

    ``hidden=True`` adds the hidden checks against the reference: an nbgrader course's source
    notebooks use it, on an instructor's machine where ``solutions/`` is present.
    """
    from IPython.display import display

    _load_the_magics()
    exercise_id = _exercise(exercise_id).id
    source, note = _source_to_check(exercise_id)
    result, fresh = _checked(exercise_id, source, hidden=hidden)
    if note:
        result.notes.insert(0, note)
    SESSION.last_result = result
    if fresh:
        _record(result)
    elif result.passed:
        _set_next_step(result)
    display(result_bundle(result, show_tracebacks=traceback), raw=True)
    if not result.passed:
        raise ExerciseNotPassed(result)


def _load_the_magics() -> None:
    """Register ``%%exercise`` if the setup cell has not run in this kernel (a restart).

    A check cell run first then says to run the exercise cell, and that cell works at once.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None and "exercise" not in shell.magics_manager.magics["cell"]:
        shell.extension_manager.load_extension("autograder")


def check_all(lesson: str | None = None) -> None:
    """Check every exercise of ``lesson`` (default: this notebook's), with points, at once."""
    from IPython.display import display

    from autograder.learner.checking import AllChecked

    loaded = registry.load()
    lesson_id = lesson or _this_lesson()
    if lesson_id is not None and lesson_id not in {item.id for item in loaded.lessons}:
        raise UsageError(f"No lesson is called {lesson_id!r}.")
    exercises = (
        loaded.exercises_of(lesson_id)
        if lesson_id
        else [loaded.exercise(exercise_id) for exercise_id in SESSION.sources]
    )
    summary = AllChecked()
    for exercise in exercises:
        try:
            source, _ = _source_to_check(exercise.id)
        except ExerciseNotRun:
            summary.missing.append(exercise.id)
            continue
        result, fresh = _checked(exercise.id, source, hidden=False)
        if fresh:
            _record(result)
        summary.results.append(result)
    summary.next_step = _next_unpassed(lesson_id)
    display({"text/plain": summary.render_text(), ALL_RESULTS_MIME: summary.to_json()}, raw=True)


def _next_unpassed(lesson_id: str | None) -> str:
    from autograder.learner.checking import next_unpassed

    try:
        return next_unpassed(lesson_id)
    except Exception:  # the results stand without the line that points on
        return ""


def _this_lesson() -> str | None:
    """The lesson of the notebook this kernel serves, from the session's name."""
    import os

    name = Path(os.environ.get("JPY_SESSION_NAME", "")).stem
    return name if name in {lesson.id for lesson in registry.load().lessons} else None


def result_bundle(result: ExerciseResult, *, show_tracebacks: bool = False) -> dict[str, object]:
    """A result as a display bundle: text, HTML and JSON (check cells and graded feedback).

    Text and HTML say each item's description once (:mod:`autograder.learner.presentation`);
    the JSON keeps every row whole.
    """
    from autograder.learner.presentation import result_text

    return {
        "text/plain": result_text(result, show_tracebacks=show_tracebacks),
        "text/html": _result_html(result, show_tracebacks=show_tracebacks),
        RESULT_MIME: result.to_json(include_tracebacks=show_tracebacks),
    }


def _result_html(result: ExerciseResult, *, show_tracebacks: bool) -> str:
    """The result's HTML; a passing result's notes in a neutral style, above it.

    A note is about the run (which code was checked), not a failure: in the failure colour under
    a passed verdict it reads as an error.
    """
    from autograder.learner.presentation import result_html, with_code_spans

    if not (result.passed and result.notes):
        return result_html(result, show_tracebacks=show_tracebacks)
    without_notes = copy.copy(result)
    without_notes.notes = []
    notes = "".join(
        f"<div class='wb-note' style='margin:4px 0;opacity:0.85'><b>Note:</b> "
        f"{html.escape(note)}</div>"
        for note in result.notes
    )
    return with_code_spans(notes) + result_html(without_notes, show_tracebacks=show_tracebacks)


def _record(result: ExerciseResult) -> None:
    """Keep the result in the progress store; a store that fails never fails the check."""
    from autograder.learner.checking import record

    try:
        record(result)
    except Exception as error:  # the check itself is done; progress is a bonus
        _note_once(f"Note: your progress is not being saved, because {error}")
        return
    _redraw_progress()


def _set_next_step(result: ExerciseResult) -> None:
    from autograder.learner.checking import next_step
    from autograder.learner.progress_store import summarize

    with contextlib.suppress(Exception):  # a result without its next step is still a result
        result.next_step = next_step(result.exercise_id, summarize())


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
        last = SESSION.last_result
        said = frozenset(
            row.hint
            for row in (last.failures() if last and last.exercise_id == exercise.id else [])
        )
        answer = next_hint(
            exercise.id,
            reveal=reveal,
            how_to_confirm=f'hint("{exercise.id}", reveal=True)',
            already_said=said,
        )
    except FileNotFoundError as error:
        raise UsageError(str(error)) from None
    display(answer.mime_bundle(), raw=True)


# --- your app, live -------------------------------------------------------------------------


class ServedAddress(str):
    """``serve()``'s answer: the app's address, as a ``str``, that a cell does not echo.

    ``serve("id")`` as a cell's last line would otherwise repeat the address as ``Out[n]``
    under the lines that already show it; ``print(url)`` and every use as a string still work.
    """

    def _ipython_display_(self) -> None:
        return None


def serve(exercise_id: str, *, port: int = 0) -> str:
    """Run the exercise's app on http://127.0.0.1:PORT and show its Swagger page here.

    The code is the exercise cell's, as ``check`` would check it. The app keeps running, in a
    process of its own, until ``stop_serving()``, the next ``serve`` of the same exercise, or
    the kernel's end. In a notebook of a Jupyter server (JupyterLab, JupyterHub, Binder) the
    page is shown through the server's ``/proxy/PORT/`` (jupyter-server-proxy), which works
    wherever the browser is; its direct address is printed too. Returns the app's address.
    """
    import socket

    from IPython.display import IFrame, display

    from autograder.engine.answers import AnswerSpec, default_host
    from autograder.engine.runner import _notebook_services, _spec
    from workbook.host.protocol import DOCS_PATH

    exercise = _exercise(exercise_id)
    source, note = _source_to_check(exercise.id)
    _stop_served(exercise.id)
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind(("127.0.0.1", port))
    listening.listen(128)
    listening_inode = os.fstat(listening.fileno()).st_ino
    host = default_host()
    spec: AnswerSpec = _spec(exercise, source, host, _notebook_services())
    answer = host.start_answer(spec, listening=listening)
    if not answer.wait_until_serving(20):
        error = answer.report.load_error
        answer.stop(grace=0.5)
        why = f"{error.type}: {error.message}" if error else "it did not start"
        raise UsageError(f"{exercise.id}'s app could not be served: {why}. Run its check for more.")
    SESSION.served[exercise.id] = answer
    SESSION.watchdogs[exercise.id] = _watch_for_the_kernels_end(listening_inode)
    direct_docs = f"{answer.url}{DOCS_PATH}"
    port = int(str(answer.url).rsplit(":", 1)[1])
    through_lab, why_direct = _docs_through_the_lab(port, DOCS_PATH)
    # The browser may be on another machine than the kernel (JupyterHub, Binder): it reaches the
    # app through the lab's own server, which runs beside the kernel. The direct address is for
    # a lab on the learner's own machine, and for a browser outside the lab.
    docs = through_lab or direct_docs
    links = [("its Swagger page, through this lab", through_lab)] if through_lab else []
    links.append(("its Swagger page, directly" if through_lab else "its Swagger page", direct_docs))
    after = [why_direct] if why_direct else []
    after.append(f"Code in this kernel reaches the app at {answer.url}.")
    after.append(f'stop_serving("{exercise.id}") stops it.')
    before = [note] if note else []
    served = f"{exercise.id}'s app is served: "
    plain = [*before, served + "; ".join(f"{label}: {href}" for label, href in links), *after]
    listed = "; ".join(
        f'<a href="{html.escape(href)}" target="_blank" rel="noopener">{html.escape(label)}</a>'
        f" (<code>{html.escape(href)}</code>)"
        for label, href in links
    )
    shown = [*map(html.escape, before), html.escape(served) + listed, *map(html.escape, after)]
    display({"text/plain": "\n".join(plain), "text/html": "<br>".join(shown)}, raw=True)
    display(IFrame(docs, width="100%", height=520))
    # The app's own address, not the lab's path to it: code in the kernel (httpx.get(url), a
    # test client) runs on the app's machine and needs no lab login, where the lab's path is for
    # the browser only.
    return ServedAddress(answer.url)


def _docs_through_the_lab(port: int, docs_path: str) -> tuple[str | None, str]:
    """The app's page at ``docs_path`` through the lab's server (jupyter-server-proxy); why not.

    A path on the lab's own host, ``{base_url}proxy/{port}{docs_path}``, so that the browser
    reaches it wherever the kernel runs. ``(None, why)`` when this kernel runs under no Jupyter
    server (a console, VS Code, nbclient), or under one without the proxy (``why`` says so).

    The server is the kernel's parent: jupyter_client hands every kernel it starts its pid as
    ``JPY_PARENT_PID``, and each server writes its ``base_url`` to ``jpserver-<pid>.json`` in
    the runtime folder. A hub's single-user server is one too; ``JUPYTERHUB_SERVICE_PREFIX``
    (the hub's path to it) stands in where that file cannot be read.
    """
    import json
    import urllib.error
    import urllib.request

    info: dict[str, Any] = {}
    parent = os.environ.get("JPY_PARENT_PID", "")
    if parent.isdigit():
        with contextlib.suppress(ImportError, OSError, ValueError):
            from jupyter_core.paths import jupyter_runtime_dir

            path = Path(jupyter_runtime_dir()) / f"jpserver-{parent}.json"
            info = json.loads(path.read_text(encoding="utf-8"))
    base_url = info.get("base_url") or os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if not base_url:
        return None, ""
    base_url = base_url if base_url.endswith("/") else f"{base_url}/"
    through_lab = f"{base_url}proxy/{port}{docs_path}"
    server_url = str(info.get("url") or "")
    if server_url.startswith("http"):
        # A server without jupyter-server-proxy answers 404 for every /proxy/ path; with it, the
        # page (its token given) or a login step. Any other trouble: take the proxy as there.
        token = str(info.get("token") or "")
        probe = f"{server_url.rstrip('/')}/proxy/{port}{docs_path}"
        try:
            request = urllib.request.Request(probe + (f"?token={token}" if token else ""))
            urllib.request.urlopen(request, timeout=3).close()
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None, (
                    "(This lab's server has no jupyter-server-proxy, so a browser on another "
                    "machine cannot reach the app: `pip install jupyter-server-proxy` where the "
                    "server runs, then restart it.)"
                )
        except OSError:
            pass
    return through_lab, ""


def _watch_for_the_kernels_end(listening_inode: int) -> Any:
    """A process that ends the served app when this kernel ends, however it ends.

    The app runs in a session of its own (the answer host starts it so), so a kernel restart,
    which kills the kernel's process group, would leave it serving. The watcher holds the
    reading end of a pipe only this kernel writes to; see :mod:`autograder.learner.serve_watchdog`.
    """
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "autograder.learner.serve_watchdog", str(listening_inode)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # outlives the kernel's group, to act when the kernel is gone
    )


def stop_serving(exercise_id: str | None = None) -> None:
    """Stop an app ``serve`` started (every one, without an id); say what was stopped."""
    from IPython.display import display

    stopped = _stop_served(exercise_id)
    if stopped:
        lines = [f"Stopped {served_id}'s app ({url})." for served_id, url in stopped]
    elif exercise_id:
        lines = [f"{_exercise(exercise_id).id}'s app is not being served: nothing to stop."]
    else:
        lines = ["No app is being served: nothing to stop."]
    display({"text/plain": "\n".join(lines)}, raw=True)


def _stop_served(exercise_id: str | None = None) -> list[tuple[str, str]]:
    """Stop what ``serve`` started (for ``exercise_id``, or all); (exercise, address) stopped."""
    import subprocess

    stopped = []
    ids = [exercise_id] if exercise_id else list(SESSION.served)
    for served_id in ids:
        answer = SESSION.served.pop(served_id, None)
        if answer is not None:
            answer.stop(grace=1.0)
            stopped.append((served_id, str(answer.url)))
        watchdog = SESSION.watchdogs.pop(served_id, None)
        if watchdog is not None:
            with contextlib.suppress(OSError):  # "stopped": it leaves without acting
                watchdog.stdin.write(b"s")
                watchdog.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                watchdog.wait(5)
    return stopped


# --- reset and reveal ----------------------------------------------------------------------


def reset(exercise_id: str) -> None:
    """Put the exercise's starter back into its exercise cell.

    The code the cell held is kept (``python -m autograder backups ID``). Nothing is checked or
    recorded: run the restored cell when you are ready. Where the notebook's server cannot
    edit other cells (shared documents off), the cell this runs in gets the starter instead.
    """
    from autograder.learner.exercise_cells import starter_cell

    exercise = _exercise(exercise_id)
    _replace_exercise_cell(exercise, starter_cell(exercise), what="starter", reason="reset")


def reveal(exercise_id: str, *, confirm: bool = False) -> None:
    """Load the exercise's reference solution into its exercise cell.

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
    _replace_exercise_cell(exercise, text, what="reference", reason="reveal")
    try:  # the reference is the last hint tier: hint() should not offer it as news
        from autograder.learner.hints import tier_count

        store.record_hint_shown(exercise.id, tier_count(exercise))
    except ProgressUnavailable:
        pass


def _replace_exercise_cell(exercise: Exercise, text: str, *, what: str, reason: str) -> None:
    from IPython import get_ipython
    from IPython.display import display

    from autograder.learner import live_cells
    from autograder.learner.exercise_cells import keep_replaced
    from autograder.learner.progress_store import ProgressStore

    shell = get_ipython()
    if shell is None:
        raise NotInNotebook(
            "This replaces a notebook cell, so it runs inside a notebook. In a terminal, "
            f"`python -m autograder {reason} {exercise.id}` rewrites the cell in your copy of "
            "the lesson."
        )
    live = live_cells.read() or {}
    replaced = live.get(exercise.id, SESSION.cells.get(exercise.id))
    kept = keep_replaced(exercise, replaced, f"{reason} in the notebook", ProgressStore())
    if live_cells.write(exercise.id, text):
        done = (
            f"The exercise cell of {exercise.id} now holds the {what}. Run it when you are ready."
        )
        if what == "reference":
            done += f' Compare it with your answer; reset("{exercise.id}") brings the starter back.'
    else:
        # What %load does: the front end swaps the running cell's text for ours.
        shell.set_next_input(text, replace=True)
        done = (
            f"This cell now holds the {what} of {exercise.id} (this notebook's server cannot "
            "change the exercise cell itself: start JupyterLab with `make lab` for that)."
        )
    message = "\n".join(line for line in (done, kept.describe(exercise)) if line)
    display({"text/plain": message}, raw=True)


def _exercise(exercise_id: str) -> Exercise:
    from autograder.learner.progress_store import UnknownExercise as UnknownId
    from autograder.learner.progress_store import known_exercise

    try:
        return known_exercise(exercise_id)
    except UnknownId as error:
        raise UnknownExercise(str(error)) from None


_warm_up: threading.Thread | None = None


def _warm_up_in_background() -> None:
    """Start the answer host and the fake services, and import the checks' machinery, now.

    A learner reads the lesson between the setup cell and the first exercise: by then the
    first check finds everything ready instead of starting it.
    """
    global _warm_up  # noqa: PLW0603 - one warm-up per kernel, joined by wait_until_warm()

    def warm() -> None:
        # Imported to warm; conformance imports schemathesis, most of a second (lesson 03).
        from autograder.engine import checkkit, conformance, plugin, runner  # noqa: F401
        from autograder.engine.answers import default_host

        with contextlib.suppress(Exception):  # the first check will say what is wrong
            default_host()
            runner._notebook_services()
        with contextlib.suppress(Exception):  # only a head start: a failure costs the time back
            conformance.warm_up()  # schemathesis' first exploration, most of a second

    _warm_up = threading.Thread(target=warm, name="workbook-warm-up", daemon=True)
    _warm_up.start()


def wait_until_warm(timeout: float = 60.0) -> None:
    """Block until the background warm-up has finished (the bench's stand-in for reading)."""
    if _warm_up is not None:
        _warm_up.join(timeout)


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
