"""Blocking calls on the event loop, observed with blockbuster and described for a learner.

blockbuster raises ``BlockingError`` where a blocking function is called on a running loop.
Raising would change the answer's behaviour (a swallowed error skips the blocking call, so the
loop never stalls), and the checks must measure the real stall from outside. So the host wraps
blockbuster's own wrapper: when it refuses a call, the call is recorded and then made as it
would have been. Only frames of the answer's own files count (blockbuster's scanned modules).

``describe_origin`` names the answer's function that made the call, the ``async def`` it ran
in, and the exact expression, for the report.
"""

from __future__ import annotations

import contextvars
import inspect
import linecache
import types
from collections.abc import Callable
from typing import Any

import blockbuster.blockbuster as blockbuster_module
from blockbuster import BlockBuster

# The request a blocking call happened in ("GET /reports/7"), set by the host's ASGI wrapper.
CURRENT_REQUEST: contextvars.ContextVar[str] = contextvars.ContextVar("request", default="")

Recorder = Callable[[str, dict[str, Any]], None]
_recorder: Recorder | None = None
_answer_files: list[str] = []
_original_wrap = blockbuster_module._wrap_blocking


def _observing_wrap(*args: Any, **kwargs: Any) -> Callable[..., Any]:
    """blockbuster's checker around one function, turned from refusing into recording."""
    checked = _original_wrap(*args, **kwargs)
    original = args[2] if len(args) > 2 else kwargs["func"]
    name = args[3] if len(args) > 3 else kwargs["func_name"]

    def observed(*call_args: Any, **call_kwargs: Any) -> Any:
        try:
            return checked(*call_args, **call_kwargs)
        except blockbuster_module.BlockingError:
            # Refused before the call was made (the functions themselves never raise this).
            # blockbuster's own skip flag keeps the recording, and whatever the call does
            # inside, from being checked again (the report itself writes to a pipe).
            blockbuster_module._skip.value = True
            try:
                if _recorder is not None:
                    _recorder(name, describe_origin(inspect.currentframe(), _answer_files))
                return original(*call_args, **call_kwargs)
            finally:
                blockbuster_module._skip.value = False

    return observed


def observe(answer_files: list[str], recorder: Recorder) -> BlockBuster:
    """An activated BlockBuster that records blocking calls made from ``answer_files``."""
    global _recorder  # noqa: PLW0603 - blockbuster's wrappers are module-level; so is their hook
    _recorder = recorder
    _answer_files[:] = answer_files
    blockbuster_module._wrap_blocking = _observing_wrap
    scanned = blockbuster_module._ModulePaths(list(answer_files))
    buster = BlockBuster(scanned)  # type: ignore[arg-type]
    # Building an engine resolves a SQLite file name once (os.getcwd): not I/O that waits.
    for call in ("os.path.abspath", "os.getcwd"):
        if call in buster.functions:
            buster.functions[call].can_block_in(
                "sqlalchemy/dialects/sqlite/pysqlite.py", "create_connect_args"
            )
    # FastAPI (0.165) reads each endpoint's source file once, on its first request, to name it
    # in error messages (os.stat, open): the library's own one-off lookup, not the answer's I/O,
    # though a pure ASGI middleware of the answer's is on the stack when it happens.
    for function in buster.functions.values():
        function.can_block_in("fastapi/routing.py", "_extract_endpoint_context")
    buster.activate()
    return buster


def describe_origin(frame: types.FrameType | None, files: list[str]) -> dict[str, Any]:
    """Where in the answer a blocking call was made, for the report."""
    own_frames: list[types.FrameType] = []
    while frame is not None:
        if frame.f_code.co_filename in files:
            own_frames.append(frame)
        frame = frame.f_back
    if not own_frames:
        return {"origin": "(called from library code)", "line": None, "code": "", "request": ""}
    innermost = own_frames[0]
    text = f"called in {_signature(innermost)} ({_where(innermost)})"
    if not _is_async(innermost):
        for outer in own_frames[1:]:
            if _is_async(outer):
                text += f", which {_signature(outer)} calls ({_where(outer)})"
                break
    # The answer's outermost call on the way down: what the learner wrote (``requests.get``),
    # rather than what the library did deep inside (``socket.recv``).
    line, code = _running_expression(own_frames[0])
    return {
        "origin": text,
        "line": line,
        "code": code,
        "source_line": linecache.getline(innermost.f_code.co_filename, line).strip(),
        "request": CURRENT_REQUEST.get(),
    }


def _where(frame: types.FrameType) -> str:
    line, code = _running_expression(frame)
    return f"line {line}: {code}" if code else f"line {line}"


def _running_expression(frame: types.FrameType) -> tuple[int, str]:
    """The source of the call the frame is executing, even when it spans several lines."""
    line = frame.f_lineno
    try:
        # One position per 2-byte instruction; f_lasti is the byte offset of the current one.
        start, end, start_col, end_col = list(frame.f_code.co_positions())[frame.f_lasti // 2]
    except (IndexError, ValueError):
        start = None
    if start is None or end is None:
        return line, linecache.getline(frame.f_code.co_filename, line).strip()
    lines = [linecache.getline(frame.f_code.co_filename, n).encode() for n in range(start, end + 1)]
    if start_col is not None and end_col is not None:
        lines[-1] = lines[-1][:end_col]  # offsets are in UTF-8 bytes
        lines[0] = lines[0][start_col:]
    code = " ".join(part.decode(errors="replace").strip() for part in lines)
    return start, code if len(code) <= 120 else code[:117] + "..."


def _is_async(frame: types.FrameType) -> bool:
    return bool(frame.f_code.co_flags & (inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR))


def _signature(frame: types.FrameType) -> str:
    name = frame.f_code.co_qualname
    if name == "<module>":
        return "module-level code"
    return f"`{'async def' if _is_async(frame) else 'def'} {name}`"
