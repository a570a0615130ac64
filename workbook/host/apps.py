"""Several apps from one factory in one answer process, and lifespans run over and over.

Lesson 05's checks look at state from outside. Two apps built by the learner's ``create_app()``
live in one process, behind one socket: a request picks its app with a header, so a write to
one and a read from the other shows whether they share state (module globals do). And an app's
lifespan can be run several times before it serves, as a test suite or a reloading server does,
while the fake upstream services count the connections each run leaves open.

Every request these apps serve gets what uvicorn gives it: a shallow copy of the state the
lifespan yielded (``as_uvicorn_serves``), not the dict itself, so a write to ``request.state``
lasts one request here as it does in production.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from asgi_lifespan import LifespanManager

from workbook.host.protocol import APP_CHOICE_HEADER

LIFESPAN_SECONDS = 10.0


def as_uvicorn_serves(app: Any) -> Any:
    """``app`` with each request handed its own shallow copy of the lifespan state.

    uvicorn copies its lifespan state into every request's scope (``app_state.copy()`` in each
    HTTP and WebSocket protocol); asgi-lifespan, which serves the apps behind one socket and
    runs lifespans over and over, puts the dict itself in every scope. Without this layer a
    route that assigns ``request.state.x = ...`` would see its value in the next request under
    the checks and never in production. Mutating an object the state holds (a list, a client)
    still reaches every request, as under uvicorn.
    """

    async def each_request_its_own_state(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket") and isinstance(scope.get("state"), dict):
            scope = {**scope, "state": scope["state"].copy()}
        await app(scope, receive, send)

    return each_request_its_own_state


class AppChoice:
    """One ASGI app in front of several: a request goes to the app its header names (1 on)."""

    def __init__(self, apps: list[Any]) -> None:
        self.apps = apps
        self._served: list[Any] = list(apps)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        chosen = self._served[self._index(scope)]
        # The choice is the host's business: the app gets the request as a client sent it.
        headers = [
            (name, value)
            for name, value in scope.get("headers", [])
            if name.decode("latin-1").lower() != APP_CHOICE_HEADER
        ]
        await chosen({**scope, "headers": headers}, receive, send)

    def _index(self, scope: dict[str, Any]) -> int:
        for name, value in scope.get("headers", []):
            if name.decode("latin-1").lower() == APP_CHOICE_HEADER:
                with contextlib.suppress(ValueError):
                    return min(max(int(value) - 1, 0), len(self._served) - 1)
        return 0

    async def _lifespan(self, receive: Any, send: Any) -> None:
        # Each app's own lifespan, through asgi-lifespan, which also hands each request the
        # state its lifespan yielded (a copy per request, as uvicorn hands it).
        async with contextlib.AsyncExitStack() as stack:
            await receive()  # lifespan.startup
            try:
                for index, app in enumerate(self.apps):
                    manager = LifespanManager(
                        as_uvicorn_serves(app),
                        startup_timeout=LIFESPAN_SECONDS,
                        shutdown_timeout=LIFESPAN_SECONDS,
                    )
                    self._served[index] = (await stack.enter_async_context(manager)).app
            except BaseException as error:
                await send({"type": "lifespan.startup.failed", "message": repr(error)})
                raise
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})


async def run_lifespans(
    app: Any, count: int, path: str, plays: list[Any] | None = None
) -> list[BaseException]:
    """Start and stop ``app``'s lifespan ``count`` times, sending one GET ``path`` in each;
    or, where ``plays`` is given, once per item of it, sending that run's requests in order
    (each ``{"method", "url"}`` with ``json``, ``params``, ``headers`` as httpx takes them, and
    ``"times": n`` to send it n times at once, as a burst of concurrent requests).

    An item may also be ``{"own_loop": True, "steps": [...]}``: that run starts, serves and
    stops on an event loop of its own (``asyncio.run`` in a thread), as each TestClient, each
    test's ``asyncio.run`` or a reloaded server does; what the app keeps across runs that binds
    to a loop (an ``asyncio.Lock`` made at import) then meets the served loop as a stranger.
    """
    runs = plays if plays is not None else [[{"method": "GET", "url": path}]] * count
    errors: list[BaseException] = []
    for run in runs:
        own_loop = isinstance(run, dict) and bool(run.get("own_loop"))
        steps = run.get("steps", []) if isinstance(run, dict) else run
        try:
            if own_loop:
                await asyncio.to_thread(asyncio.run, _one_run(app, steps))
            else:
                await _one_run(app, steps)
        except Exception as error:  # the app's own failure: reported, and the next run tried
            errors.append(error)
    return errors


async def _one_run(app: Any, steps: list[dict[str, Any]]) -> None:
    """One start, the steps' requests (a step with ``times`` as a burst), and one stop."""
    import httpx

    async with LifespanManager(
        as_uvicorn_serves(app),
        startup_timeout=LIFESPAN_SECONDS,
        shutdown_timeout=LIFESPAN_SECONDS,
    ) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://answer") as c:
            for step in steps:
                sent = {k: step[k] for k in ("json", "params", "headers") if k in step}
                method, url = str(step["method"]), str(step["url"])
                times = int(step.get("times", 1))
                if times == 1:
                    await c.request(method, url, **sent)
                else:
                    await asyncio.gather(*(c.request(method, url, **sent) for _ in range(times)))
