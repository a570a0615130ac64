"""Helpers behind the lessons' demonstrations: measure what blocking costs, and draw it.

``measure_latencies`` fires concurrent requests at an ASGI app in process (through httpx's
ASGI transport, no sockets) and returns each request's latency. It runs its own event loop in
a worker thread, so it works the same in a script and in a Jupyter kernel (whose main thread
already runs a loop).

``needs_earlier_cells`` opens a demo cell that uses what earlier cells define: run out of order
(after a kernel restart, say), the cell stops with one line naming the cell to run first,
instead of a traceback from deep inside the demo.
"""

from __future__ import annotations

import asyncio
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx


class RunEarlierCellFirst(Exception):
    """A demo cell run before a cell it needs; IPython shows its one line, no traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


def needs_earlier_cells(**defined_by: str) -> None:
    """Stop the calling cell, in one line, if a name it uses is not defined yet.

    Each keyword is a name the cell uses, its value the cell that defines it, in notebook order:
    ``needs_earlier_cells(library="the cell that creates the library")``.
    """
    namespace = sys._getframe(1).f_globals  # the notebook's names, as the cell sees them
    missing = [name for name in defined_by if name not in namespace]
    if not missing:
        return
    cell = defined_by[missing[0]]
    raise RunEarlierCellFirst(
        f"Run {cell} first, then this cell again: this cell uses {missing[0]}, which that cell "
        "defines."
    )


async def _timed_requests(app: Any, path: str, concurrent: int) -> list[float]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:

        async def one() -> float:
            response = await client.get(path)
            response.raise_for_status()
            # Measured from the moment the burst was fired, as the clients would see it: a
            # request that could not even start because the loop was held still counts.
            return time.perf_counter() - fired

        fired = time.perf_counter()
        return list(await asyncio.gather(*(one() for _ in range(concurrent))))


def measure_latencies(app: Any, path: str, *, concurrent: int = 10) -> list[float]:
    """Send ``concurrent`` GET requests to ``path`` at once; return each latency in seconds."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-loop") as worker:
        return worker.submit(asyncio.run, _timed_requests(app, path, concurrent)).result()


def compare_latencies(
    apps: dict[str, Any], path: str, *, concurrent: int = 10
) -> dict[str, list[float]]:
    """Measure each app in turn under the same burst of requests."""
    return {
        label: measure_latencies(app, path, concurrent=concurrent) for label, app in apps.items()
    }


def summarize(results: dict[str, list[float]]) -> str:
    lines = []
    for label, latencies in results.items():
        ms = sorted(value * 1000 for value in latencies)
        lines.append(
            f"{label:>28}: fastest {ms[0]:6.1f} ms   slowest {ms[-1]:6.1f} ms   "
            f"mean {sum(ms) / len(ms):6.1f} ms"
        )
    return "\n".join(lines)


def plot_latencies(results: dict[str, list[float]], title: str = "Latency of each request") -> Any:
    """One bar per request, sorted, one panel per app, on a shared scale. Returns the figure."""
    import matplotlib.pyplot as plt  # imported here: only the demonstrations need matplotlib

    figure, axes = plt.subplots(
        1, len(results), figsize=(4.5 * len(results), 3.2), sharey=True, squeeze=False
    )
    for axis, (label, latencies) in zip(axes[0], results.items(), strict=True):
        ms = sorted(value * 1000 for value in latencies)
        axis.bar(range(1, len(ms) + 1), ms, color="tab:red" if ms[-1] > 2 * ms[0] else "tab:green")
        axis.set_title(label)
        axis.set_xlabel("request (sorted by latency)")
        axis.set_xticks(range(1, len(ms) + 1))
    axes[0][0].set_ylabel("milliseconds")
    figure.suptitle(title)
    figure.tight_layout()
    return figure
