"""The FastAPI Purist Workbook's exercise registry, checks and grading.

In a notebook: ``%load_ext autograder`` registers the ``%%exercise`` cell magic (and the
``%reset_exercise`` and ``%reveal_exercise`` line magics), and
``from autograder import check, check_all, hint, progress, reset, reveal, serve`` gives the
learner's functions.
Each one imports the notebook machinery when first called, so ``import autograder`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "check",
    "check_all",
    "hint",
    "load_ipython_extension",
    "progress",
    "reset",
    "reveal",
    "serve",
    "stop_serving",
]


def check(exercise_id: str, *, traceback: bool = False, hidden: bool = False) -> Any:
    from autograder.learner.notebook import check as notebook_check

    return notebook_check(exercise_id, traceback=traceback, hidden=hidden)


def check_all(lesson: str | None = None) -> None:
    """Check every exercise of the lesson at once, with points."""
    from autograder.learner.notebook import check_all as notebook_check_all

    notebook_check_all(lesson)


def serve(exercise_id: str, *, port: int = 0) -> str:
    """Run the exercise's app on loopback and show its Swagger page; returns its address."""
    from autograder.learner.notebook import serve as notebook_serve

    return notebook_serve(exercise_id, port=port)


def stop_serving(exercise_id: str | None = None) -> None:
    """Stop an app that serve() started (every one, without an id)."""
    from autograder.learner.notebook import stop_serving as notebook_stop

    notebook_stop(exercise_id)


def progress(lesson: str | None = None) -> None:
    """Done and pending exercises, with bars: ``lesson`` in detail, and the whole workbook."""
    from autograder.learner.notebook import progress as notebook_progress

    notebook_progress(lesson)


def hint(exercise_id: str, *, reveal: bool = False) -> None:
    """The next, more specific hint; ``reveal=True`` confirms you may see the reference."""
    from autograder.learner.notebook import hint as notebook_hint

    notebook_hint(exercise_id, reveal=reveal)


def reset(exercise_id: str) -> None:
    """Replace the cell this runs in with the exercise's starter."""
    from autograder.learner.notebook import reset as notebook_reset

    notebook_reset(exercise_id)


def reveal(exercise_id: str, *, confirm: bool = False) -> None:
    """Replace the cell this runs in with the reference (once passed, or with ``confirm=True``)."""
    from autograder.learner.notebook import reveal as notebook_reveal

    notebook_reveal(exercise_id, confirm=confirm)


def load_ipython_extension(ipython: Any) -> None:
    from autograder.learner.notebook import load_ipython_extension as load

    load(ipython)
