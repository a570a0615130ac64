"""Reviewed files: what an author has looked at and accepted about an exercise's generated
wrong fixes, one TOML file per exercise in ``autograder/registry/reviewed/<slug>.toml``.

An exercise with nothing to accept needs no file. The shape::

    [partial_fixes]
    steps = [[1, 4]]          # diff hunks that are one step a learner takes (see partial_fixes)

    [[partial_fixes.equivalent]]
    name = "reference-without-step-3"
    why = "step 3 only moves an import"

    [[mutants.survivor]]
    id = "constant: `10.0` -> `11.0` in lifespan()"
    reason = "equivalent"     # or "out of scope"
    why = "the upstream's timeout is never reached by the checks nor by the lesson"

``reason = "equivalent"`` says the mutant behaves as the reference does (it leaves the
mutation score's count); ``"out of scope"`` says it is wrong, but not what the lesson teaches
(it stays in the count, as a survivor).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from autograder.registry import PACKAGE_DIR, Exercise

REVIEWED_DIR = PACKAGE_DIR / "registry" / "reviewed"
EQUIVALENT, OUT_OF_SCOPE = "equivalent", "out of scope"


class ReviewedFileError(ValueError):
    """A reviewed file does not have the shape this module reads."""


@dataclass(frozen=True)
class Survivor:
    reason: str  # EQUIVALENT or OUT_OF_SCOPE
    why: str


@dataclass(frozen=True)
class ReviewedFile:
    path: Path
    steps: list[list[int]] = field(default_factory=list)
    equivalent_partial_fixes: dict[str, str] = field(default_factory=dict)  # name -> why
    survivors: dict[str, Survivor] = field(default_factory=dict)  # mutant id -> reason


def reviewed_path(exercise: Exercise) -> Path:
    return REVIEWED_DIR / f"{exercise.slug}.toml"


def reviewed_file(exercise: Exercise) -> ReviewedFile:
    path = reviewed_path(exercise)
    if not path.is_file():
        return ReviewedFile(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        partial = data.get("partial_fixes", {})
        steps = [[int(number) for number in group] for group in partial.get("steps", [])]
        equivalent = {str(e["name"]): str(e["why"]) for e in partial.get("equivalent", [])}
        survivors = {}
        for entry in data.get("mutants", {}).get("survivor", []):
            reason = str(entry["reason"])
            if reason not in (EQUIVALENT, OUT_OF_SCOPE):
                raise ReviewedFileError(
                    f"{path.name}: survivor {entry['id']!r} has reason {reason!r}; "
                    f"write {EQUIVALENT!r} or {OUT_OF_SCOPE!r}"
                )
            if not str(entry.get("why", "")).strip():
                raise ReviewedFileError(f"{path.name}: say why survivor {entry['id']!r} is kept")
            survivors[str(entry["id"])] = Survivor(reason, str(entry["why"]))
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as error:
        if isinstance(error, ReviewedFileError):
            raise
        raise ReviewedFileError(
            f"{path.name} could not be read ({error!r}); see autograder/authoring/reviewed.py "
            "for its shape"
        ) from error
    return ReviewedFile(path, steps, equivalent, survivors)
