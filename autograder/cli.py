"""``python -m autograder``: the workbook's command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from autograder import registry
from autograder.engine.results import ExerciseResult


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["lab"]:
        # Everything after `lab` is JupyterLab's (`make lab ARGS="--no-browser --port=8899"`).
        from autograder.learner.lab import main as lab_main

        return lab_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command")

    listing = commands.add_parser("list", help="list the exercises of every lesson")
    listing.add_argument("--json", action="store_true", help="one JSON object per exercise")

    check = commands.add_parser("check", help="run an exercise's checks on a file of code")
    check.add_argument("exercise")
    check.add_argument("source", type=Path, help="a .py file holding the exercise cell's code")
    check.add_argument("--hidden", action="store_true", help="also run the hidden checks")
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    check.add_argument("--traceback", action="store_true", help="show raw tracebacks")

    verify = commands.add_parser(
        "verify", help="author check: every starter fails and every reference passes"
    )
    verify.add_argument(
        "exercises", nargs="*", help="exercise or lesson ids (default: every exercise)"
    )
    from autograder.authoring.cli import add_verify_arguments

    add_verify_arguments(verify)  # what runs: author checks, partial fixes, mutants

    commands.add_parser("build-lessons", help="regenerate lessons/*.ipynb from lessons/src")
    bench = commands.add_parser(
        "bench", help="measure check latency, lesson 06's load demo and grading speed"
    )
    bench.add_argument(
        "--students", type=int, default=20, help="students in the graded class (default: 20)"
    )
    bench.add_argument(
        "--only",
        choices=["checks", "load", "grading"],
        help="run one part of the bench (default: all)",
    )

    listing.set_defaults(handler=_list)
    check.set_defaults(handler=_check)
    verify.set_defaults(handler=_verify)
    commands.choices["build-lessons"].set_defaults(handler=_build_lessons)
    commands.choices["bench"].set_defaults(handler=_bench)
    # Feature areas add their own commands, each from its own module.
    for register in _feature_commands():
        register(commands)

    args = parser.parse_args(argv)
    if args.command is None:
        from autograder.learner.cli import guide

        print(guide())
        return 0
    return args.handler(args)


def _feature_commands() -> list[Callable[[argparse._SubParsersAction], None]]:
    from autograder.authoring import cli as cli_handouts
    from autograder.classroom import cli as cli_course
    from autograder.learner import cli as cli_learner

    return [cli_learner.register, cli_course.register, cli_handouts.register]


def _list(args: argparse.Namespace) -> int:
    loaded = registry.load()
    if args.json:
        print(json.dumps([exercise.to_json() for exercise in loaded.exercises], indent=2))
        return 0
    for lesson in loaded.lessons:
        print(f"{lesson.id}: {lesson.title}")
        for exercise in loaded.exercises_of(lesson.id):
            items = ", ".join(exercise.seed_items)
            print(f"  {exercise.id:<28} {exercise.points} pt  {exercise.title}  [{items}]")
    return 0


def _check(args: argparse.Namespace) -> int:
    from autograder.engine.answers import answer_code
    from autograder.engine.runner import run_checks
    from autograder.learner.progress_store import UnknownExercise, known_exercise

    try:
        known_exercise(args.exercise)
    except UnknownExercise as error:
        print(error, file=sys.stderr)
        return 2
    try:
        # A cell copied from the notebook keeps its %%exercise line (as a comment).
        source = answer_code(args.source.read_text(encoding="utf-8"))
    except OSError as error:
        print(
            f"Cannot read {args.source}: {error.strerror}. Pass the path of a .py file.",
            file=sys.stderr,
        )
        return 2
    result = run_checks(args.exercise, source, hidden=args.hidden)
    _record_progress(result)
    if args.json:
        print(json.dumps(result.to_json(include_tracebacks=args.traceback), indent=2))
    else:
        print(result.render_text(show_tracebacks=args.traceback))
    return 0 if result.passed else 1


def _record_progress(result: ExerciseResult) -> None:
    """A check from the terminal counts towards progress just as one in the notebook does."""
    from autograder.learner.progress_store import record_result

    try:
        record_result(result)
    except Exception as error:  # the check is done either way; progress is a bonus
        print(f"note: progress not saved ({error})", file=sys.stderr)


def _verify(args: argparse.Namespace) -> int:
    from autograder.learner.progress_store import UnknownExercise, known_exercise

    loaded = registry.load()
    lessons = {lesson.id for lesson in loaded.lessons}
    ids = []
    # A lesson id stands for its exercises, so an author can verify the lesson being written.
    for name in args.exercises or [exercise.id for exercise in loaded.exercises]:
        if name in lessons:
            ids.extend(exercise.id for exercise in loaded.exercises_of(name))
            continue
        try:
            ids.append(known_exercise(name, loaded).id)
        except UnknownExercise as error:
            print(error, file=sys.stderr)
            return 2
    from autograder.authoring.cli import run_verify

    return run_verify(args, ids)


def _build_lessons(args: argparse.Namespace) -> int:
    from autograder.authoring.lessons import write_all

    for path in write_all():
        print(f"wrote {path}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from autograder.authoring.bench import main as bench_main

    if args.students < 1:
        print("--students must be at least 1.", file=sys.stderr)
        return 2
    return bench_main(students=args.students, only=args.only)
