"""``python -m autograder``: the instructor's commands: the nbgrader course and parallel grading."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder.classroom.checker import Limits


def register(commands: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the command line."""
    course = commands.add_parser("course", help="build an nbgrader course from the lessons")
    course_commands = course.add_subparsers(dest="course_command", required=True)
    init = course_commands.add_parser(
        "init", help="write nbgrader_config.py and source/<lesson>/ for every lesson"
    )
    init.add_argument("directory", type=Path)
    init.add_argument(
        "--force", action="store_true", help="rewrite the config and source/ of an existing course"
    )
    init.set_defaults(handler=_course_init)

    grade = commands.add_parser(
        "grade",
        help="autograde every submission of a course in parallel (writes nbgrader's gradebook)",
    )
    grade.add_argument("directory", type=Path, help="the course directory (from course init)")
    grade.add_argument("assignments", nargs="*", help="assignments to grade (default: all)")
    grade.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="submissions graded at once"
    )
    grade.add_argument(
        "--scheduler", help="grade on a dask.distributed cluster: the scheduler's address"
    )
    grade.add_argument(
        "--timeout", type=float, default=Limits.seconds, help="seconds one answer may take"
    )
    grade.add_argument(
        "--memory-mb", type=int, default=Limits.memory_mb, help="memory one answer may use"
    )
    grade.add_argument(
        "--force", action="store_true", help="grade again what an earlier run finished"
    )
    grade.add_argument(
        "--unconfined",
        action="store_true",
        help="run answers without bubblewrap (not safe for untrusted submissions; every "
        "feedback says so)",
    )
    grade.set_defaults(handler=_grade)


def _grade(args: argparse.Namespace) -> int:
    from autograder.classroom.grading import CourseError, grade_course

    if args.workers < 1:
        print("--workers must be at least 1.", file=sys.stderr)
        return 2
    try:
        report = grade_course(
            args.directory,
            args.assignments,
            workers=args.workers,
            scheduler=args.scheduler,
            limits=Limits(seconds=args.timeout, memory_mb=args.memory_mb),
            force=args.force,
            confined=not args.unconfined,
            report=lambda line: print(line, flush=True),
        )
    except CourseError as error:
        print(error, file=sys.stderr)
        return 2
    for outcome in report.failed:
        print(f"{outcome.submission.label} could not be graded:\n{outcome.error}", file=sys.stderr)
    return 1 if report.failed else 0


def _course_init(args: argparse.Namespace) -> int:
    from autograder.classroom.course import CourseExists, init_course

    try:
        written = init_course(args.directory, force=args.force)
    except CourseExists as error:
        print(error, file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print(
        f"Next: cd {args.directory} && nbgrader generate_assignment <lesson> "
        "(see the README's section for instructors)."
    )
    return 0
