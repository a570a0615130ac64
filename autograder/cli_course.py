"""``python -m autograder``: the instructor's commands: the nbgrader course and parallel grading."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the command line."""
