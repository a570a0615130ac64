"""Dependency overrides the checks ask for, applied to the answer's app before it serves.

The payoff of dependency injection is substitution: a test swaps the database, the settings or
the current user through ``app.dependency_overrides``. Checks ask for the same swaps here, by
the names the exercise gives its dependencies (``get_db``, ``get_settings``,
``current_member``), and then look from outside at whether the app answered with what was
swapped in. What crosses over is JSON: which dependency, and what to put in its place.
"""

from __future__ import annotations

import types
from collections.abc import AsyncIterator, Callable
from typing import Any


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
        values = dict(spec.get("values", {}))

        def build() -> Any:
            return cls(**values)

        return build
    raise OverrideError(f"unknown kind of override: {kind!r}")


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
