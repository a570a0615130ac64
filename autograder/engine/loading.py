"""Run a piece of exercise code as a module of its own, so that checks can point at it.

The code is compiled under a file name unique to the exercise and role (``<exercise
async-sleep (learner)>``). That name is what lets blockbuster scan only the learner's frames,
lets tracebacks and warnings be traced back to a line of the cell, and keeps the learner's code
apart from the reference that is loaded beside it.
"""

from __future__ import annotations

import linecache
import sys
import traceback
import types
import warnings
from dataclasses import dataclass, field
from typing import Literal

Role = Literal["learner", "reference"]


def code_filename(exercise_id: str, role: Role) -> str:
    return f"<exercise {exercise_id} ({role})>"


def module_name(exercise_id: str, role: Role) -> str:
    return f"workbook_{role}_{exercise_id.replace('-', '_')}"


@dataclass
class LoadedCode:
    exercise_id: str
    role: Role
    source: str
    module: types.ModuleType | None
    filename: str
    warnings: list[warnings.WarningMessage] = field(default_factory=list)
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.module is not None


def load(exercise_id: str, source: str, role: Role = "learner") -> LoadedCode:
    """Execute ``source`` in a fresh module; never raises for errors in the code itself."""
    filename = code_filename(exercise_id, role)
    name = module_name(exercise_id, role)
    module = types.ModuleType(name)
    module.__file__ = filename  # blockbuster resolves scanned modules through __file__
    # Register the source so tracebacks and warnings can quote the learner's lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    loaded = LoadedCode(exercise_id, role, source, module, filename)
    sys.modules[name] = module  # pydantic resolves forward references through sys.modules
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = compile(source, filename, "exec", dont_inherit=True)
            exec(code, module.__dict__)
        except BaseException as error:  # the learner's code may raise anything, even SystemExit
            if isinstance(error, KeyboardInterrupt):
                raise
            loaded.error = error
    loaded.warnings = list(caught)
    return loaded


def describe_error(error: BaseException, filename: str) -> str:
    """One or two lines naming the error and where in the learner's code it happened."""
    if isinstance(error, SyntaxError) and error.filename == filename:
        return f"SyntaxError on line {error.lineno}: {error.msg}\n    {(error.text or '').strip()}"
    where = innermost_frame_in(error.__traceback__, filename)
    headline = f"{type(error).__name__}: {error}".rstrip(": ")
    if where is None:
        return headline
    function, line, text = where
    location = f"line {line}" if function == "<module>" else f"`{function}`, line {line}"
    return f"{headline}\n    raised in {location}: {text}"


def innermost_frame_in(
    tb: types.TracebackType | None, filename: str
) -> tuple[str, int, str] | None:
    found = None
    for frame_summary in traceback.extract_tb(tb):
        if frame_summary.filename == filename:
            found = (
                frame_summary.name,
                frame_summary.lineno or 0,
                (frame_summary.line or "").strip(),
            )
    return found


def format_traceback(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))
