"""The FastAPI Purist Workbook's exercise registry, checks and grading.

In a notebook: ``%load_ext autograder`` registers the ``%%exercise`` cell magic, and
``from autograder import check`` gives the check function.
"""

from __future__ import annotations

from typing import Any

__all__ = ["check", "load_ipython_extension"]


def check(exercise_id: str, *, traceback: bool = False) -> Any:
    from autograder.notebook import check as notebook_check

    return notebook_check(exercise_id, traceback=traceback)


def load_ipython_extension(ipython: Any) -> None:
    from autograder.notebook import load_ipython_extension as load

    load(ipython)
