"""A small load generator: an app served by uvicorn on loopback, and concurrent clients.

Lesson 06 measures cost, so its demos send the same load to the bad and the good version of an
app: ``concurrency`` clients, each sending its requests one after another, ``requests`` in all,
bounded in time. What comes back is what a load-testing tool would print: requests per second
and latency percentiles. It is deliberately small (httpx and asyncio, no extra tool), and a
measurement on a shared machine: compare two apps within one run, never with a fixed number.

``measure_load(..., progress="label")`` shows how far the run is as it goes: in a Jupyter kernel
one line that updates in place (a display with an id: JupyterLab redraws it, nbclient keeps its
last state, so the saved notebook reads "done"), elsewhere a line when it starts and ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    latencies: tuple[float, ...]  # seconds, one per request
    statuses: dict[int, int]  # status code -> how many
    errors: int = 0  # requests that got no response: the connection failed or was dropped

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else 0.0

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    def describe(self) -> str:
        dropped = f", {self.errors} without a response" if self.errors else ""
        return f"{self.per_second:.0f} req/s p99 {self.p99 * 1000:.0f} ms{dropped}"


KEEP_ALIVE_SECONDS = 120


@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread; yields its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="on",
        # The clients share a process (and its GIL) with a server that may be starved by the bad
        # app; uvicorn's 5 s keep-alive then closes a connection just as a client reuses it, and
        # that request fails. A load test measures the app, not that race.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="load-target", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app did not start serving")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()


async def _load(
    base_url: str,
    path: str,
    requests: int,
    concurrency: int,
    time_limit: float,
    latencies: list[float] | None = None,
) -> LoadResult:
    # The caller may hand the list in to watch it fill (progress), from another thread.
    latencies = [] if latencies is None else latencies
    statuses: dict[int, int] = {}
    errors = 0
    remaining = iter(range(requests))
    deadline = time.perf_counter() + time_limit
    limits = httpx.Limits(
        max_connections=concurrency,
        max_keepalive_connections=concurrency,
        keepalive_expiry=KEEP_ALIVE_SECONDS,
    )

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:

        async def one_client() -> None:
            nonlocal errors
            for _ in remaining:
                if time.perf_counter() > deadline:
                    return
                started = time.perf_counter()
                try:
                    response = await client.get(path)
                except httpx.TransportError:
                    # Counted, as a load-testing tool counts them; one dropped connection must
                    # not throw away the run's other figures.
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return LoadResult(len(latencies), seconds, tuple(latencies), statuses, errors)


def measure_load(
    app: Any,
    path: str,
    *,
    requests: int = 400,
    concurrency: int = 20,
    time_limit: float = 20.0,
    progress: str | None = None,
) -> LoadResult:
    """Serve ``app`` and send it ``requests`` GETs of ``path`` from ``concurrency`` clients.

    With ``progress``, the run's progress is shown under that label as it goes.
    """
    shown = _Progress(progress, requests, time_limit) if progress else None
    with served(app) as base_url:
        # Warm: the first request pays for imports and caches nobody pays twice.
        httpx.get(base_url + path, timeout=30)
        answered: list[float] = []
        started = time.perf_counter()
        result = _run(
            _load(base_url, path, requests, concurrency, time_limit, answered),
            on_tick=(lambda: shown.running(len(answered), time.perf_counter() - started))
            if shown
            else None,
        )
    if shown:
        shown.done(result)
    return result


PROGRESS_TICK_SECONDS = 0.5
_PROGRESS_BAR_WIDTH = 24


class _Progress:
    """One line that says how far a load run is: updated in place in a kernel, else printed."""

    def __init__(self, label: str, requests: int, time_limit: float) -> None:
        from IPython import get_ipython

        self.label, self.requests, self.time_limit = label, requests, time_limit
        shell = get_ipython()
        self.handle = None
        if shell is not None and getattr(shell, "kernel", None) is not None:
            from IPython.display import display

            self.handle = display(self._bundle(self._line(0, 0.0)), raw=True, display_id=True)
        else:
            self._print(f"{label}: {requests} requests, at most {time_limit:.0f} s ...")

    def _line(self, answered: int, seconds: float) -> str:
        # Whichever ends first: every request answered, or the time limit.
        share = min(1.0, max(answered / self.requests, seconds / self.time_limit))
        filled = round(share * _PROGRESS_BAR_WIDTH)
        bar = "█" * filled + "░" * (_PROGRESS_BAR_WIDTH - filled)
        return (
            f"{self.label}: [{bar}] {answered} of {self.requests} requests answered, "
            f"{seconds:.0f} s (at most {self.time_limit:.0f} s)"
        )

    @staticmethod
    def _bundle(line: str) -> dict[str, str]:
        return {"text/plain": line}

    @staticmethod
    def _print(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def running(self, answered: int, seconds: float) -> None:
        if self.handle is not None:
            self.handle.update(self._bundle(self._line(answered, seconds)), raw=True)

    def done(self, result: LoadResult) -> None:
        bar = "█" * _PROGRESS_BAR_WIDTH
        line = (
            f"{self.label}: [{bar}] done: {result.requests} requests answered in "
            f"{result.seconds:.1f} s"
        )
        if self.handle is not None:
            self.handle.update(self._bundle(line), raw=True)
        else:
            self._print(line)


def _run(coroutine: Any, on_tick: Any = None) -> Any:
    """Run ``coroutine`` to the end, also from a notebook, whose own loop is already running.

    ``on_tick`` (if given) is called from the calling thread every ``PROGRESS_TICK_SECONDS``
    while it runs: the thread a notebook's display belongs to.
    """
    if on_tick is None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(coroutine)
    outcome: dict[str, Any] = {}

    def run_in_thread() -> None:
        try:
            outcome["result"] = asyncio.run(coroutine)
        except BaseException as error:  # handed to the caller's thread, raised there
            outcome["error"] = error

    thread = threading.Thread(target=run_in_thread, name="load-clients")
    thread.start()
    while thread.is_alive():
        thread.join(PROGRESS_TICK_SECONDS if on_tick else None)
        if on_tick and thread.is_alive():
            on_tick()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
