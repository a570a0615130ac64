"""Run an answer's code as a module of its own, so that reports can point at its lines.

A one-cell answer is compiled under a file name of its own (``<answer async-sleep>``),
registered with ``linecache`` so that tracebacks and warnings quote its lines. An answer that
is a small package of files is written to disk and imported from there. Either way the
answer's own files are known, so blockbuster scans only them and a report names the
answer's line rather than a library's.
"""

from __future__ import annotations

import importlib
import linecache
import sys
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path


def cell_filename(exercise_id: str) -> str:
    return f"<answer {exercise_id}>"


@dataclass
class LoadedAnswer:
    module: types.ModuleType | None
    files: list[str] = field(default_factory=list)  # file names the answer's code runs under
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.module is not None


def load_cell(exercise_id: str, source: str) -> LoadedAnswer:
    """Execute ``source`` as a fresh module; never raises for errors in the code itself."""
    filename = cell_filename(exercise_id)
    name = "answer_" + exercise_id.replace("-", "_")
    module = types.ModuleType(name)
    module.__file__ = filename  # blockbuster resolves scanned modules through __file__
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    sys.modules[name] = module  # pydantic resolves forward references through sys.modules
    loaded = LoadedAnswer(module, [filename])
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
        exec(code, module.__dict__)
    except BaseException as error:  # the answer may raise anything, even SystemExit
        loaded.error = error
    return loaded


def load_package(root: Path, files: dict[str, str], entry: str) -> LoadedAnswer:
    """Write ``files`` under ``root`` and import the module ``entry`` (``app.main``) from there."""
    written = []
    for relative, text in files.items():
        path = (root / relative).resolve()
        if root.resolve() not in path.parents:
            return LoadedAnswer(None, error=ValueError(f"{relative!r} is outside the answer"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(str(path))
    sys.path.insert(0, str(root))
    loaded = LoadedAnswer(None, written)
    try:
        loaded.module = importlib.import_module(entry)
    except BaseException as error:
        loaded.error = error
    return loaded


def innermost_frame_in(
    tb: types.TracebackType | None, filenames: list[str]
) -> tuple[str, int, str] | None:
    """The answer's innermost frame in a traceback: (function, line, text)."""
    found = None
    for frame_summary in traceback.extract_tb(tb):
        if frame_summary.filename in filenames:
            found = (
                frame_summary.name,
                frame_summary.lineno or 0,
                (frame_summary.line or "").strip(),
            )
    return found


def describe_error(error: BaseException, filenames: list[str]) -> dict[str, object]:
    """The report's fields for an error: what it was and where in the answer it happened."""
    if isinstance(error, SyntaxError) and error.filename in filenames:
        return {
            "type": "SyntaxError",
            "message": str(error.msg),
            "line": error.lineno,
            "code": (error.text or "").strip(),
            "function": None,
            "traceback": "",
        }
    where = innermost_frame_in(error.__traceback__, filenames)
    function, line, code = where if where else (None, None, "")
    return {
        "type": type(error).__name__,
        "message": str(error),
        "line": line,
        "code": code,
        "function": function,
        "traceback": "".join(traceback.format_exception(error)),
    }
