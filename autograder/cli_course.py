"""``python -m autograder``: the instructor's commands: the nbgrader course and parallel grading."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


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


def _course_init(args: argparse.Namespace) -> int:
    from autograder.course import CourseExists, init_course

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
