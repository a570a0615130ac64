"""The answer process's clock, which the checks can move forward (never back).

Rules about time (five searches in any ten seconds, a price good for a second) can only be
seen by playing requests over time; waiting for real seconds would make every check slow. So
the host puts its own ``time.time`` and ``time.monotonic`` (and their ``_ns`` twins) in the
``time`` module before the answer is loaded: the real clock plus an offset. A request the
checks send with the ``CLOCK_HEADER`` header (the offset, in seconds) moves the offset there
before the app sees the request, and the header never reaches the app.

What follows the moved clock: everything that calls ``time.time()`` or ``time.monotonic()``
when it reads the time (the ``limits`` library, a window of the answer's own, the event loop's
``loop.time()`` and anyio's clock, which call ``time.monotonic()``). What does not: a function
bound before the host ran (``from time import monotonic`` in a module imported in the
zygote), ``datetime.now()`` (C reads the system clock itself), ``time.perf_counter()`` (left
alone: it times, it does not tell the time). The offset only grows, so monotonic stays
monotonic; the checks move it while the app is idle between requests, so a timer scheduled
on the event loop fires early only if it was due within the jump (uvicorn's keep-alive of an
idle connection: the client then opens another).

No library moves a running process's clock from outside (time-machine and freezegun patch a
test's own process, and time-machine does not move ``time.monotonic``), hence these few lines.
"""

from __future__ import annotations

import time
from typing import Any

CLOCK_HEADER = "x-workbook-clock"
# A jump the checks may ask for at once; more is refused (an offset of years would only ever
# be a mistake, and timers due within the jump fire at once).
MAX_OFFSET_SECONDS = 7 * 24 * 3600.0

_real_time = time.time
_real_time_ns = time.time_ns
_real_monotonic = time.monotonic
_real_monotonic_ns = time.monotonic_ns


class _Offset:
    seconds = 0.0
    nanoseconds = 0


_offset = _Offset()


def moved_time() -> float:
    return _real_time() + _offset.seconds


def moved_time_ns() -> int:
    return _real_time_ns() + _offset.nanoseconds


def moved_monotonic() -> float:
    return _real_monotonic() + _offset.seconds


def moved_monotonic_ns() -> int:
    return _real_monotonic_ns() + _offset.nanoseconds


def install() -> None:
    """Put the movable clock into the ``time`` module (offset 0: the real clock)."""
    time.time = moved_time
    time.time_ns = moved_time_ns
    time.monotonic = moved_monotonic
    time.monotonic_ns = moved_monotonic_ns


def offset() -> float:
    return _offset.seconds


def move_to(seconds: float) -> None:
    """Set the offset to ``seconds`` if that moves the clock forward; otherwise leave it."""
    if not 0.0 <= seconds <= MAX_OFFSET_SECONDS or seconds <= _offset.seconds:
        return
    _offset.seconds = seconds
    _offset.nanoseconds = int(seconds * 1_000_000_000)


def follow(scope: dict[str, Any]) -> None:
    """Move the clock as a request from the checks asks (its ``CLOCK_HEADER``), if it does."""
    for name, value in scope.get("headers", []):
        if name.lower() == CLOCK_HEADER.encode("latin-1"):
            try:
                move_to(float(value.decode("latin-1")))
            except ValueError:
                return
            return
