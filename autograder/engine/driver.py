"""Drive an ASGI app the way a server would, and watch its event loop while doing it.

Checks are plain synchronous pytest functions. ``AppClient`` runs the app on an event loop of
its own, in a separate thread (an anyio blocking portal), for two reasons: a Jupyter kernel
already runs a loop in its main thread, and blockbuster must only judge the loop that serves
the app. Requests go through httpx's ASGI transport; the lifespan runs through asgi-lifespan.

While a request is in flight blockbuster is active, scanning only the frames of the code under
check, so a blocking call anywhere in the learner's call chain (even in a helper function) is
reported with the function and line it came from.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import linecache
import threading
import time
import types
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.from_thread
import blockbuster.blockbuster as blockbuster_module
import httpx
from asgi_lifespan import LifespanManager
from blockbuster import BlockBuster

REQUEST_TIMEOUT_SECONDS = 10.0
LIFESPAN_TIMEOUT_SECONDS = 10.0


class CheckTimeout(Exception):
    """The app did not answer in time; its loop is probably stuck."""


class ExitRequested(Exception):
    """The code under check raised SystemExit or KeyboardInterrupt while handling a request."""


class BlockedEventLoop(Exception):
    """A request made the app call something that blocks its event loop."""

    def __init__(self, request_line: str, blocking_call: str, origin: Origin) -> None:
        self.request_line = request_line
        self.blocking_call = blocking_call
        self.origin = origin.text
        self.line = origin.line  # where in the learner's code the blocking call was made
        self.code = origin.code  # the call expression that blocked
        self.source_line = origin.source_line  # the whole line it stands on
        super().__init__(f"{request_line} blocked the event loop: `{blocking_call}` {origin.text}")


@dataclass
class Origin:
    text: str  # "called in `def helper` (line 5: ...), which `async def endpoint` calls (...)"
    line: int | None = None
    code: str = ""
    source_line: str = ""


@dataclass
class _BlockingEvent:
    call: str
    origin: Origin


class _BlockingRecorder:
    """Collects what blockbuster flags, even when the learner's code swallows the exception."""

    def __init__(self) -> None:
        self.filename: str | None = None
        self.events: list[_BlockingEvent] = []
        self.lock = threading.Lock()

    def record(self, call: str) -> None:
        if self.filename is None:
            return
        origin = describe_origin(inspect.currentframe(), self.filename)
        with self.lock:
            self.events.append(_BlockingEvent(call, origin))

    def take(self) -> list[_BlockingEvent]:
        with self.lock:
            events, self.events = self.events, []
        return events


_recorder = _BlockingRecorder()


class _RecordedBlockingError(blockbuster_module.BlockingError):
    def __init__(self, func: str) -> None:
        super().__init__(func)
        _recorder.record(func)


# blockbuster raises the module-level BlockingError by name; a subclass that records itself is
# the only hook it offers for seeing blocking calls that the code under check catches and hides.
blockbuster_module.BlockingError = _RecordedBlockingError


def describe_origin(frame: types.FrameType | None, filename: str) -> Origin:
    """Name the learner's function that made the blocking call, and the async def it ran in."""
    own_frames: list[types.FrameType] = []
    while frame is not None:
        if frame.f_code.co_filename == filename:
            own_frames.append(frame)
        frame = frame.f_back
    if not own_frames:
        return Origin("(called from library code)")
    innermost = own_frames[0]
    text = f"called in {_signature(innermost)} ({_where(innermost)})"
    if not _is_async(innermost):
        for outer in own_frames[1:]:
            if _is_async(outer):
                text += f", which {_signature(outer)} calls ({_where(outer)})"
                break
    line, code = _running_expression(innermost)
    source_line = linecache.getline(filename, line).strip()
    return Origin(text, line, code, source_line)


def _where(frame: types.FrameType) -> str:
    """`line 18: time.sleep(DELAY)`: the line number and, when known, the expression running."""
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


@dataclass
class TimedResponse:
    response: httpx.Response
    seconds: float


class AppClient:
    """A synchronous client for checks, serving ``app`` on its own event loop thread."""

    def __init__(self, app: Any, *, scanned: types.ModuleType | None) -> None:
        self.app = app
        self._scanned = scanned
        self._filename = getattr(scanned, "__file__", None)
        self._blockbuster = BlockBuster([scanned]) if scanned is not None else None
        self._stack = contextlib.ExitStack()
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._client: httpx.AsyncClient | None = None
        self._broken: str | None = None

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> AppClient:
        self._portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())
        served = self._portal.wrap_async_context_manager(self._serve())
        self._client = self._stack.enter_context(served)
        return self

    @contextlib.asynccontextmanager
    async def _serve(self) -> AsyncIterator[httpx.AsyncClient]:
        # Built inside the portal's loop: asgi-lifespan detects its async library on creation.
        async with LifespanManager(
            self.app,
            startup_timeout=LIFESPAN_TIMEOUT_SECONDS,
            shutdown_timeout=LIFESPAN_TIMEOUT_SECONDS,
        ) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as client:
                yield client

    def close(self) -> None:
        if self._broken:
            # A stuck loop cannot shut down; its daemon thread is abandoned on purpose.
            self._stack.pop_all()
            return
        self._stack.close()

    # --- requests ---------------------------------------------------------------------------

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._run(f"{method.upper()} {url}", self._send, method, url, kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def concurrently(
        self, requests: Sequence[tuple[str, str, dict[str, Any]]]
    ) -> tuple[list[TimedResponse], float]:
        """Send all requests at once; return each response with its latency, and the wall time."""
        label = (
            f"{len(requests)} concurrent requests to {requests[0][1]}" if requests else "nothing"
        )
        return self._run(label, self._send_all, requests)

    def loop_lag_during(self, method: str, url: str, **kwargs: Any) -> tuple[httpx.Response, float]:
        """Send one request while a ticker measures the longest stall of the event loop."""
        return self._run(f"{method.upper()} {url}", self._send_with_ticker, method, url, kwargs)

    # --- internals --------------------------------------------------------------------------

    async def _send(self, method: str, url: str, kwargs: dict[str, Any]) -> httpx.Response:
        assert self._client is not None
        try:
            return await self._client.request(method, url, **kwargs)
        except (SystemExit, KeyboardInterrupt) as stop:
            # Left alone, these would stop the app's event loop and every later request with it.
            error = ExitRequested(f"{type(stop).__name__}({stop}) would stop the whole server")
            raise error.with_traceback(stop.__traceback__) from None

    async def _send_all(
        self, requests: Sequence[tuple[str, str, dict[str, Any]]]
    ) -> tuple[list[TimedResponse], float]:
        started = time.perf_counter()

        async def one(method: str, url: str, kwargs: dict[str, Any]) -> TimedResponse:
            t0 = time.perf_counter()
            response = await self._send(method, url, kwargs)
            return TimedResponse(response, time.perf_counter() - t0)

        results = await asyncio.gather(*(one(m, u, k) for m, u, k in requests))
        return list(results), time.perf_counter() - started

    async def _send_with_ticker(
        self, method: str, url: str, kwargs: dict[str, Any]
    ) -> tuple[httpx.Response, float]:
        tick = 0.002
        worst = 0.0
        finished = asyncio.Event()

        async def ticker() -> None:
            nonlocal worst
            loop = asyncio.get_running_loop()
            while not finished.is_set():
                before = loop.time()
                await asyncio.sleep(tick)
                worst = max(worst, loop.time() - before - tick)

        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0)  # let the ticker take its first reading before the request starts
        try:
            response = await self._send(method, url, kwargs)
        finally:
            finished.set()
            await ticking
        return response, worst

    def _run(self, label: str, func: Any, *args: Any) -> Any:
        if self._portal is None:
            self.start()
        if self._broken:
            raise CheckTimeout(self._broken)
        assert self._portal is not None
        _recorder.take()
        _recorder.filename = self._filename
        with self._blockbuster_active():
            future = self._portal.start_task_soon(func, *args)
            try:
                result = future.result(timeout=REQUEST_TIMEOUT_SECONDS)
            except FutureTimeout:
                self._broken = (
                    f"{label} did not answer within {REQUEST_TIMEOUT_SECONDS:.0f} s: something in "
                    "the code never returns or never yields to the event loop. If the kernel "
                    "stays busy afterwards, restart it (Kernel > Restart Kernel)."
                )
                raise CheckTimeout(self._broken) from None
            except Exception:
                # Code under check (or a library it calls) may turn blockbuster's error into
                # another exception; a recorded blocking call is the real story then.
                if not _recorder.events:
                    raise
                result = None
            finally:
                _recorder.filename = None
        events = _recorder.take()
        if events:
            first = events[0]
            raise BlockedEventLoop(label, first.call, first.origin)
        return result

    @contextlib.contextmanager
    def _blockbuster_active(self) -> Iterator[None]:
        if self._blockbuster is None:
            yield
            return
        self._blockbuster.activate()
        try:
            yield
        finally:
            self._blockbuster.deactivate()
