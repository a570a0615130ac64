"""Static review of an exercise cell with ruff, the linter that already knows these rules.

Every exercise is reviewed against one common rule set, so a reference can never pass while
ignoring a rule that a later lesson teaches. Each finding is turned into a check row that names
the ruff rule, the catalog item it relates to, and the line in the cell.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from functools import cache

from ruff.__main__ import find_ruff_bin

# Families reviewed in every cell. Why each is here:
#   ASYNC blocking calls in async code      FAST  FastAPI's own conventions (Annotated, ...)
#   UP    modern syntax (X | None, dict)    B     bugbear's likely bugs, incl. call defaults
#   S     bandit's security findings        PLW   pylint warnings, e.g. `global` statements
#   RUF   ruff's own, e.g. dangling tasks   DTZ   naive datetimes such as datetime.utcnow()
#   T20   print() where logging belongs     F     pyflakes: undefined names and the like
COMMON_RULES = ("ASYNC", "FAST", "UP", "B", "S", "PLW", "RUF", "DTZ", "T20", "F")
# F401 (unused import) is left out: a fix often leaves an import behind, which is untidy but
# not what these lessons are about. S101 (assert) is left out: cells may assert on purpose.
IGNORED_RULES = ("F401", "S101")

# What each rule family has to do with the curriculum, to say why a finding matters.
RELATED_ITEMS = {
    "ASYNC": "async-1",
    "RUF006": "async-5",
    "FAST002": "di-4",
    "FAST001": "pydantic-2",
    "UP006": "pydantic-3",
    "UP007": "pydantic-3",
    "UP035": "pydantic-3",
    "UP045": "pydantic-3",
    "B008": "di-4",
    "PLW0603": "state-1",
    "DTZ": "arch-4",
    "T20": "ready-5",
    "S105": "security-2",
    "S106": "security-2",
    "S608": "security-5",
}


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    line: int
    column: int

    @property
    def related_item(self) -> str:
        for prefix in (self.code, self.code.rstrip("0123456789")):
            if prefix in RELATED_ITEMS:
                return RELATED_ITEMS[prefix]
        return ""


class ReviewUnavailable(RuntimeError):
    """ruff could not be run; say so rather than pretend the code is clean."""


@cache
def _ruff() -> str:
    return find_ruff_bin()


def review(source: str, extra_rules: tuple[str, ...] = ()) -> list[Finding]:
    command = [
        _ruff(),
        "check",
        "--isolated",  # the cell alone: no project configuration applies
        # A noqa comment in the answer would silence the very rule an exercise teaches.
        "--ignore-noqa",
        "--no-cache",
        "--quiet",
        "--exit-zero",
        "--target-version=py311",
        f"--select={','.join(COMMON_RULES + extra_rules)}",
        f"--ignore={','.join(IGNORED_RULES)}",
        "--output-format=json",
        "--stdin-filename=cell.py",
        "-",
    ]
    try:
        completed = subprocess.run(
            command, input=source, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ReviewUnavailable(f"ruff did not run: {error}") from error
    if completed.returncode != 0:
        raise ReviewUnavailable(f"ruff failed: {completed.stderr.strip()}")
    return [
        Finding(
            code=item["code"] or "E999",
            message=item["message"],
            line=item["location"]["row"],
            column=item["location"]["column"],
        )
        for item in json.loads(completed.stdout or "[]")
    ]


@cache
def explanation(code: str) -> str:
    """Ruff's own explanation of a rule (what it does, why, an example), or '' if unknown."""
    try:
        completed = subprocess.run(
            [_ruff(), "rule", code, "--output-format=json"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return str(json.loads(completed.stdout).get("explanation", "")).strip()
    except (OSError, subprocess.TimeoutExpired, ValueError, AttributeError):
        return ""
