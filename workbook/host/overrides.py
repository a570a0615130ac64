"""Dependency overrides the checks ask for, applied to the answer's app before it serves.

The payoff of dependency injection is substitution: a test swaps the database, the settings or
the current user through ``app.dependency_overrides``. Checks ask for the same swaps here, by
the names the exercise gives its dependencies (``get_db``, ``get_settings``,
``current_member``), and then look from outside at whether the app answered with what was
swapped in. What crosses over is JSON: which dependency, and what to put in its place.

A replacement that returns fixed values could be imitated by an app whose routes never ask for
the dependency (a dependency of another name that calls ``app.dependency_overrides[...]()``
itself). So a model can instead be *chosen per request* (``"choices"``): the checks name, in a
header of each request, one of the values they handed over under a name drawn for this run, and
the replacement reads that header through FastAPI (a ``Header`` parameter of its own) and serves
only when FastAPI's own resolution awaited it, straight from a route's request handler, with no
frame of the app's code in between. Called by hand, it refuses.
"""

from __future__ import annotations

import sys
import types
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Header, HTTPException
from fastapi import routing as fastapi_routing
from fastapi.dependencies import utils as fastapi_dependencies

# FastAPI's own code that resolves a route's dependencies: taken when this module is imported
# (in the zygote, before any answer runs), so an answer that later replaces these functions
# replaces what FastAPI calls, not what is compared here.
SOLVE_CODE = fastapi_dependencies.solve_dependencies.__code__
HANDLER_CODES = frozenset(
    constant
    for constant in fastapi_routing.get_request_handler.__code__.co_consts
    if isinstance(constant, types.CodeType)
)


class OverrideError(Exception):
    """The answer has no dependency of that name, or what replaces it cannot be built."""


def apply(app: Any, module: types.ModuleType, wanted: dict[str, dict[str, Any]]) -> None:
    for name, spec in wanted.items():
        dependency = getattr(module, name, None)
        if not callable(dependency):
            raise OverrideError(
                f"The code must define the dependency `{name}` at module level: the checks "
                f"replace it through app.dependency_overrides[{name}], as a test would."
            )
        app.dependency_overrides[dependency] = _replacement(module, spec)


def _replacement(module: types.ModuleType, spec: dict[str, Any]) -> Callable[..., Any]:
    kind = spec.get("kind")
    if kind == "session":
        return _session_factory(str(spec["url"]))
    if kind in ("settings", "model"):
        cls = getattr(module, str(spec["class"]), None)
        if not isinstance(cls, type):
            raise OverrideError(f"The code must define the class `{spec['class']}`.")
        if "choices" in spec:
            return _chosen_per_request(cls, str(spec["header"]), dict(spec["choices"]))
        values = dict(spec.get("values", {}))
        if spec.get("keep"):
            return _kept(cls, values)

        def build() -> Any:
            return cls(**values)

        return build
    raise OverrideError(f"unknown kind of override: {kind!r}")


def _kept(cls: type, values: dict[str, Any]) -> Callable[[], Any]:
    """One object for every call, built on the first (``"keep": true``): as a test's override
    usually is, so a write made through it is there for a later read."""
    kept: list[Any] = []

    def keep() -> Any:
        if not kept:
            kept.append(cls(**values))
        return kept[0]

    return keep


class CalledByHand(RuntimeError):
    """The replacement ran, but not because FastAPI resolved it for a route."""


def resolved_for_a_route(frame: types.FrameType | None) -> bool:
    """Whether ``frame`` (the one awaiting a replacement) is FastAPI's dependency resolution,
    nested only in itself, up to a route's request handler."""
    levels = 0
    while frame is not None and frame.f_code is SOLVE_CODE:
        frame, levels = frame.f_back, levels + 1
    return levels > 0 and frame is not None and frame.f_code in HANDLER_CODES


def _chosen_per_request(cls: type, header: str, choices: dict[str, Any]) -> Callable[..., Any]:
    by_name = {str(name): dict(values) for name, values in choices.items()}

    async def chosen(choice: str) -> Any:
        # A coroutine's caller is the frame that awaits it: FastAPI's, or the app's own code.
        if not resolved_for_a_route(sys._getframe(1)):
            raise CalledByHand(
                "This replacement is FastAPI's to call for the routes that ask for the "
                "dependency; the app's own code called it."
            )
        if choice not in by_name:
            raise HTTPException(status_code=400, detail=f"no such choice in `{header}`")
        return cls(**by_name[choice])

    # Set here, not written in the signature: this module's annotations are strings, and the
    # header's name is a local that FastAPI could not resolve from them.
    chosen.__annotations__["choice"] = Annotated[str, Header(alias=header)]
    return chosen


def _session_factory(url: str) -> Callable[[], AsyncIterator[Any]]:
    # Imported here: only lesson 04's answers need SQLAlchemy's async side.
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    engines: list[Any] = []

    async def session() -> AsyncIterator[AsyncSession]:
        if not engines:
            engines.append(create_async_engine(url))  # created on the app's own loop
        async with AsyncSession(engines[0], expire_on_commit=False) as opened:
            yield opened

    return session
