"""What a learner may read of a result: capped in length, and nothing of the hidden material.

Messages quote what was observed, and what was observed can carry anything: an exception
message, a response body, a report line. Before a result is shown or stored, every text is
capped, and every line that contains a line of the reference or of a hidden check is withheld
(unless the learner's own answer contains that line too: quoting their own code back is the
point of a message).
"""

from __future__ import annotations

from collections.abc import Iterable

from autograder.engine.results import ExerciseResult

MAX_MESSAGE_CHARS = 2000
MAX_MESSAGE_LINES = 40
MAX_HINT_CHARS = 1000
MAX_TRACEBACK_CHARS = 8000
# Shorter lines (``return user``, ``yield``) say nothing about the reference on their own.
MIN_SECRET_LINE = 12
WITHHELD = "[a line of the reference or of a hidden check is withheld here]"


def _normalised(line: str) -> str:
    return " ".join(line.split())


def secret_lines(secret_sources: Iterable[str], answer_source: str) -> set[str]:
    own = {_normalised(line) for line in answer_source.splitlines()}
    return {
        normal
        for source in secret_sources
        for line in source.splitlines()
        if len(normal := _normalised(line)) >= MIN_SECRET_LINE and normal not in own
    }


def clean_text(text: str, secrets: set[str], limit: int, max_lines: int | None = None) -> str:
    lines = []
    for line in text.splitlines():
        normal = _normalised(line)
        lines.append(WITHHELD if any(secret in normal for secret in secrets) else line)
    if max_lines is not None and len(lines) > max_lines:
        lines = [*lines[:max_lines], f"[{len(lines) - max_lines} more lines not shown]"]
    cleaned = "\n".join(lines)
    if len(cleaned) > limit:
        cleaned = (
            cleaned[: limit - 40].rstrip() + f" [… {len(cleaned) - limit + 40} more characters]"
        )
    return cleaned


def sanitize(result: ExerciseResult, *, answer_source: str, secret_sources: Iterable[str]) -> None:
    secrets = secret_lines(secret_sources, answer_source)
    for row in result.checks:
        row.message = clean_text(row.message, secrets, MAX_MESSAGE_CHARS, MAX_MESSAGE_LINES)
        row.hint = clean_text(row.hint, secrets, MAX_HINT_CHARS)
        row.traceback = clean_text(row.traceback, secrets, MAX_TRACEBACK_CHARS)
        row.name = clean_text(row.name, secrets, 200)
