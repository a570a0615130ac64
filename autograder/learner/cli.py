"""``python -m autograder``: the learner's commands: progress, hints, reset and reveal.

They share the progress store with the notebook (:mod:`autograder.learner.progress_store`): a hint
seen in a terminal is not shown again as new in the notebook, and an exercise passed in the notebook
unlocks its reference here.

Exit codes: 0 done, 1 the request was refused or the store could not be read, 2 a wrong
exercise id, lesson or notebook (the message says what to do next).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from autograder import registry
from autograder.learner import workspace
from autograder.learner.exercise_cells import (
    CellRewrite,
    NotebookCellError,
    has_passed,
    reference_cell,
    rewrite_exercise_cell,
    starter_cell,
    withheld_reference_message,
)
from autograder.learner.progress_store import (
    ProgressStore,
    ProgressUnavailable,
    UnknownExercise,
    UnknownLesson,
    known_exercise,
    summarize,
)
from autograder.registry import Exercise

USAGE_ERROR = 2


def register(commands: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the command line."""
    lab = commands.add_parser(
        "lab", help="open the lessons in JupyterLab, in your workspace (what `make lab` runs)"
    )
    lab.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="passed on to JupyterLab")
    lab.set_defaults(handler=_lab)

    start = commands.add_parser(
        "start", help="write an exercise's starter to a file, to work on it in a terminal"
    )
    start.add_argument("exercise")
    start.add_argument("file", nargs="?", type=Path, help="default: <exercise>.py here")
    start.add_argument("--force", action="store_true", help="overwrite the file if it exists")
    start.set_defaults(handler=_start)

    check_all = commands.add_parser(
        "check-all", help="check every exercise in your workspace's notebooks, with points"
    )
    check_all.add_argument("lesson", nargs="?", help="only this lesson")
    check_all.add_argument("--json", action="store_true", help="print JSON for tools")
    check_all.set_defaults(handler=_check_all)

    progress = commands.add_parser(
        "progress", help="done and pending exercises, per lesson and for the whole workbook"
    )
    progress.add_argument("lesson", nargs="?", help="show only this lesson in detail")
    progress.add_argument("--json", action="store_true", help="print JSON for tools")
    progress.set_defaults(handler=_progress)

    hint = commands.add_parser(
        "hint", help="the next, more specific hint for an exercise (the last is the reference)"
    )
    hint.add_argument("exercise")
    hint.add_argument(
        "--reveal", action="store_true", help="confirm that the reference may be shown if next"
    )
    hint.add_argument("--json", action="store_true", help="print JSON for tools")
    hint.set_defaults(handler=_hint)

    reset = commands.add_parser(
        "reset", help="put an exercise's cell in a notebook file back to its starter"
    )
    reset.add_argument("exercise")
    reset.add_argument("notebook", nargs="?", type=Path, help="default: the lesson's notebook")
    reset.set_defaults(handler=_reset)

    reveal = commands.add_parser(
        "reveal", help="load the reference into an exercise's cell in a notebook file"
    )
    reveal.add_argument("exercise")
    reveal.add_argument("notebook", nargs="?", type=Path, help="default: the lesson's notebook")
    reveal.add_argument(
        "--yes", action="store_true", help="load it even though the exercise has not passed yet"
    )
    reveal.set_defaults(handler=_reveal)

    backups = commands.add_parser(
        "backups", help="exercise code kept when reset or reveal replaced it"
    )
    backups.add_argument("exercise")
    backups.add_argument("--show", type=int, metavar="NUMBER", help="print one backup's code")
    backups.set_defaults(handler=_backups)


def _fail(message: str, code: int = USAGE_ERROR) -> int:
    print(message, file=sys.stderr)
    return code


def _exercise(exercise_id: str) -> Exercise | None:
    try:
        return known_exercise(exercise_id)
    except UnknownExercise as error:
        print(error, file=sys.stderr)
        return None


def _confirm(question: str) -> bool:
    """Ask y/N on a terminal; anything else (a pipe, a script) is a no."""
    if not sys.stdin.isatty():
        return False
    try:
        return input(f"{question} [y/N] ").strip().lower() in {"y", "yes"}
    except EOFError:
        return False


def _progress(args: argparse.Namespace) -> int:
    summary = summarize()
    try:
        text = summary.render_text(args.lesson)
    except UnknownLesson as error:
        return _fail(str(error))
    if args.json:
        data = summary.to_json()
        if args.lesson:
            data["lessons"] = [summary.lesson(args.lesson).to_json()]
        print(json.dumps(data, indent=2))
    else:
        print(text)
    if summary.problem:
        print(f"Progress could not be read: {summary.problem}", file=sys.stderr)
        return 1
    return 0


def _hint(args: argparse.Namespace) -> int:
    from autograder.learner.hints import next_hint

    exercise = _exercise(args.exercise)
    if exercise is None:
        return USAGE_ERROR
    confirm = f"`python -m autograder hint {exercise.id} --reveal`"
    try:
        answer = next_hint(exercise.id, reveal=args.reveal, how_to_confirm=confirm)
        if (
            answer.kind == "withheld"
            and not args.json
            and _confirm(
                f"You have seen every hint for {exercise.id}; the next tier is the reference "
                "solution. Show it now?"
            )
        ):
            answer = next_hint(exercise.id, reveal=True, how_to_confirm=confirm)
    except FileNotFoundError as error:
        return _fail(str(error), 1)
    print(json.dumps(answer.to_json(), indent=2) if args.json else answer.render_text())
    return 0


def _notebook_for(args: argparse.Namespace, exercise: Exercise) -> Path:
    if args.notebook is not None:
        return args.notebook
    return workspace.notebook_path(registry.load().lesson(exercise.lesson))


def _report_rewrite(rewrite: CellRewrite, what: str) -> None:
    exercise = rewrite.exercise
    if not rewrite.changed:
        print(f"{rewrite.notebook}: the {exercise.id} cell already holds the {what}; unchanged.")
        return
    print(f"{rewrite.notebook}: the {exercise.id} cell now holds the {what}.")
    print(f"The notebook as it was is saved as {rewrite.backup}.")
    kept = rewrite.kept.describe(exercise)
    if kept:
        print(kept)
    print(
        "If the notebook is open in JupyterLab, reload it from disk (File > Reload Notebook "
        "from Disk) before you save it there, or the old cell comes back."
    )


def _reset(args: argparse.Namespace) -> int:
    exercise = _exercise(args.exercise)
    if exercise is None:
        return USAGE_ERROR
    try:
        rewrite = rewrite_exercise_cell(
            _notebook_for(args, exercise),
            exercise,
            starter_cell(exercise),
            reason="reset from the command line",
        )
    except NotebookCellError as error:
        return _fail(str(error))
    _report_rewrite(rewrite, "starter")
    return 0


def _reveal(args: argparse.Namespace) -> int:
    from autograder.learner.hints import tier_count

    exercise = _exercise(args.exercise)
    if exercise is None:
        return USAGE_ERROR
    store = ProgressStore()
    allowed = (
        args.yes
        or has_passed(exercise, store)
        or _confirm(f"{exercise.id} has not passed yet. Load its reference anyway?")
    )
    if not allowed:
        command = f"`python -m autograder reveal {exercise.id} --yes`"
        return _fail(withheld_reference_message(exercise, command), 1)
    try:
        reference = reference_cell(exercise)
    except FileNotFoundError as error:
        return _fail(str(error), 1)
    try:
        rewrite = rewrite_exercise_cell(
            _notebook_for(args, exercise),
            exercise,
            reference,
            reason="reveal from the command line",
        )
    except NotebookCellError as error:
        return _fail(str(error))
    try:  # the reference is the last hint tier: hints should not offer it as news
        store.record_hint_shown(exercise.id, tier_count(exercise))
    except ProgressUnavailable:
        pass
    _report_rewrite(rewrite, "reference")
    return 0


def _backups(args: argparse.Namespace) -> int:
    exercise = _exercise(args.exercise)
    if exercise is None:
        return USAGE_ERROR
    try:
        saved = ProgressStore().saved_cells(exercise.id)
    except ProgressUnavailable as error:
        return _fail(f"Backups could not be read: {error}", 1)
    if args.show is not None:
        for cell in saved:
            if cell.number == args.show:
                print(cell.source.rstrip())
                return 0
        numbers = ", ".join(str(cell.number) for cell in saved) or "none"
        return _fail(f"{exercise.id} has no backup #{args.show} (it has: {numbers}).")
    if not saved:
        print(f"No code of {exercise.id} has been replaced by reset or reveal, so none is kept.")
        return 0
    for cell in saved:
        lines = len(cell.source.splitlines())
        print(f"#{cell.number}  {cell.saved_at}  {cell.reason}, {lines} lines")
    print(f"`python -m autograder backups {exercise.id} --show NUMBER` prints one.")
    return 0


def _lab(args: argparse.Namespace) -> int:
    from autograder.learner.lab import main as lab_main

    return lab_main(args.jupyter_args)


def _start(args: argparse.Namespace) -> int:
    exercise = _exercise(args.exercise)
    if exercise is None:
        return USAGE_ERROR
    target = args.file or Path(f"{exercise.slug}.py")
    if target.exists() and not args.force:
        return _fail(
            f"{target} exists already; `python -m autograder check {exercise.id} {target}` "
            f"checks it, or add --force to start over."
        )
    target.write_text(starter_file(exercise), encoding="utf-8")
    print(f"Wrote the starter of {exercise.id} ({exercise.title}) to {target}.")
    print(f"Edit it, then: python -m autograder check {exercise.id} {target}")
    return 0


def starter_file(exercise: Exercise) -> str:
    """The exercise cell as a file: its magic line as a comment keeps line numbers as in the
    notebook, and `check` accepts the file as it is."""
    from autograder.authoring.lessons import exercise_cell_source

    return "# " + exercise_cell_source(exercise, exercise.starter_source())


def _check_all(args: argparse.Namespace) -> int:
    from autograder.learner.checking import check_notebooks

    loaded = registry.load()
    if args.lesson is not None and args.lesson not in {lesson.id for lesson in loaded.lessons}:
        known = ", ".join(lesson.id for lesson in loaded.lessons)
        return _fail(f"No lesson is called {args.lesson!r}. Lessons: {known}.")
    summary = check_notebooks(args.lesson)
    print(json.dumps(summary.to_json(), indent=2) if args.json else summary.render_text())
    return 0 if summary.all_passed else 1


def guide() -> str:
    """What `python -m autograder` says with no command: where the learner is, what is next."""
    from autograder.learner.progress_store import summarize

    lines = ["The FastAPI Purist Workbook."]
    try:
        summary = summarize()
        tally = summary.tally
        lines.append(
            f"You have done {len(tally.done)} of {tally.total} exercises "
            f"({tally.points_done} of {tally.points_total} points)."
        )
        upcoming = summary.next_pending()
        if upcoming is not None:
            lines.append(f"Next: {upcoming.id} ({upcoming.title}), in lesson {upcoming.lesson}.")
    except Exception as error:  # a guide without progress is still a guide
        lines.append(f"(Your progress could not be read: {error}.)")
    lines += [
        "",
        "  make lab                                  open the lessons in JupyterLab",
        "  python -m autograder list                 every lesson and exercise",
        "  python -m autograder start ID [FILE]      an exercise's starter, in a file",
        "  python -m autograder check ID FILE        check a file (a copied cell works too)",
        "  python -m autograder check-all [LESSON]   check your notebooks, with points",
        "  python -m autograder hint ID              the next hint",
        "  python -m autograder progress             what is done and what is not",
        "  python -m autograder --help               every command",
    ]
    return "\n".join(lines)
