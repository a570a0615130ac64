"""``python -m autograder``: the learner's commands: progress, hints, reset and reveal."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the command line."""
