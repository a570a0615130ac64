"""What check modules import: rule markers, failure messages and contract helpers.

A check is a pytest test function marked with the catalog item it enforces::

    @rule("async-1", hint="await asyncio.sleep instead of time.sleep")
    def test_report_does_not_block(learner_client):
        learner_client.get("/reports/7")

A check fails by calling ``fail("what was observed")``; the runner turns any other exception
into a message that names the learner's line. Fixtures (from ``autograder.engine.plugin``):
``learner`` (the learner's module), ``learner_app``, ``learner_client``, and in hidden checks
``reference``, ``reference_app``, ``reference_client``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

F = TypeVar("F", bound=Callable[..., Any])


class CheckFailed(Exception):
    """Raised by ``fail``: the message is the whole report, no traceback needed."""


def rule(item: str, *, hint: str = "") -> Callable[[F], F]:
    """Mark a check with the catalog item it enforces and, optionally, its own next hint."""
    return pytest.mark.rule(item=item, hint=hint)  # type: ignore[return-value]


def fail(observed: str) -> None:
    # `from None`: a failure raised while handling an app crash would otherwise drag the
    # crash's long chained traceback into pytest's report, which is slow and says nothing more.
    raise CheckFailed(observed) from None


def require(condition: object, observed: str) -> None:
    if not condition:
        raise CheckFailed(observed) from None


# --- HTTP helpers -----------------------------------------------------------------------------


def body_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text


def show(response: httpx.Response) -> str:
    """A short, readable account of a response for a failure message."""
    body = json.dumps(body_of(response), default=str)
    if len(body) > 300:
        body = body[:300] + "…"
    return f"{response.status_code} {body}"


def expect_status(response: httpx.Response, expected: int, request_line: str) -> None:
    require(
        response.status_code == expected,
        f"{request_line} answered {show(response)}; expected status {expected}.",
    )


def ask_both(
    learner: Any, reference: Any, method: str, url: str, **kwargs: Any
) -> tuple[httpx.Response, httpx.Response]:
    """Send one request to the learner's app and the same to the reference; return both answers.

    ``learner`` and ``reference`` are the ``learner_client`` and ``reference_client`` fixtures.
    """
    return learner.request(method, url, **kwargs), reference.request(method, url, **kwargs)


def same_answer(
    learner: httpx.Response,
    reference: httpx.Response,
    request_line: str,
    *,
    compare_body: bool = True,
    ignore_keys: Iterable[str] = (),
) -> None:
    """Fail unless both apps answered the request with the same status (and body)."""
    if learner.status_code != reference.status_code:
        fail(
            f"{request_line}: your app answered {show(learner)}, "
            f"the reference answered {show(reference)}."
        )
    if not compare_body:
        return
    if learner.status_code == 422 and reference.status_code == 422:
        # Message wording may differ; which fields were rejected may not.
        learner_locs = _error_locations(body_of(learner))
        reference_locs = _error_locations(body_of(reference))
        require(
            learner_locs == reference_locs,
            f"{request_line}: your app rejected {sorted(learner_locs)}, "
            f"the reference rejected {sorted(reference_locs)}.",
        )
        return
    ignored = set(ignore_keys)
    if _strip(body_of(learner), ignored) != _strip(body_of(reference), ignored):
        fail(f"{request_line}: your app answered {show(learner)}, the reference {show(reference)}.")


def _error_locations(body: Any) -> set[tuple[str, ...]]:
    if not isinstance(body, dict) or not isinstance(body.get("detail"), list):
        return set()
    return {tuple(str(part) for part in error.get("loc", ())) for error in body["detail"]}


def _strip(value: Any, ignored: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v, ignored) for k, v in value.items() if k not in ignored}
    if isinstance(value, list):
        return [_strip(v, ignored) for v in value]
    return value


# --- counting what the code under check builds ------------------------------------------------


@contextmanager
def new_clients_counted() -> Iterator[list[str]]:
    """Names of the HTTP clients constructed while the block runs.

    A pooled client is built once, by the lifespan, before any check runs; one built during a
    request means a fresh connection pool per request. ``requests.get`` builds a Session.
    """
    opened: list[str] = []
    classes: tuple[type, ...] = (httpx.Client, httpx.AsyncClient)
    # Code that never imported requests cannot build its Sessions; importing it here for
    # nothing would add a tenth of a second to a cold check.
    if (requests := sys.modules.get("requests")) is not None:
        classes += (requests.Session,)
    originals = {cls: cls.__init__ for cls in classes}

    def counting(cls: type, original: Callable[..., None]) -> Callable[..., None]:
        def __init__(self: object, *args: Any, **kwargs: Any) -> None:
            opened.append(f"{cls.__module__.split('.')[0]}.{cls.__name__}")
            original(self, *args, **kwargs)

        return __init__

    for cls, original in originals.items():
        cls.__init__ = counting(cls, original)  # type: ignore[method-assign]
    try:
        yield opened
    finally:
        for cls, original in originals.items():
            cls.__init__ = original  # type: ignore[method-assign]


# --- contract helpers -------------------------------------------------------------------------


def operation(app: FastAPI, method: str, path: str) -> APIRoute:
    """The route object FastAPI built for ``method path``: it carries the operation's contract."""
    method = method.upper()
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path == path and method in route.methods:
            return route
    declared = sorted(
        f"{m} {r.path}" for r in app.routes if isinstance(r, APIRoute) for m in r.methods
    )
    fail(f"No operation {method} {path} is declared. Declared: {', '.join(declared) or 'none'}.")
    raise AssertionError("unreachable")


def learner_app_of(module: Any) -> FastAPI:
    app = getattr(module, "app", None)
    require(isinstance(app, FastAPI), "The cell must define `app = FastAPI(...)` at module level.")
    return app
