"""A check result as the notebook shows it: each item's description once, `code` as code.

The engine renders a result row by row (:meth:`ExerciseResult.render_html`); on one screen the
learner reads the rows together, so what repeats row after row is said once here:

- a catalog item's description is shown on the first row of that item; later rows of the same
  item show only its tag (the JSON keeps every row whole);
- in the HTML, a span written between backticks (the way the checks' messages, hints and row
  names write code) is shown as ``<code>``; the plain text keeps its backticks.
"""

from __future__ import annotations

import copy
import re

from autograder.engine.results import ExerciseResult

# `code` or ``code``: one line, no backtick inside, the same number of backticks each side.
# A fence (```python) opens no span: its backticks run on into a line break.
_CODE_SPAN = re.compile(r"(?<!`)(`{1,2})(?!`)([^`\n]+?)(?<!`)\1(?!`)")
_TAG = re.compile(r"(<[^>]*>)")
# Inside a <pre> the text is monospace already: a tint marks the span instead.
_CODE_IN_PRE = "<code style='background:rgba(128,128,128,0.16);border-radius:3px;padding:0 2px'>"


def code_spans(escaped: str, *, in_pre: bool = False) -> str:
    """Escaped text with its backticked spans as ``<code>`` (the backticks dropped)."""
    opening = _CODE_IN_PRE if in_pre else "<code>"
    return _CODE_SPAN.sub(lambda match: f"{opening}{match.group(2)}</code>", escaped)


def with_code_spans(page: str) -> str:
    """HTML whose text (never its tags or attributes) shows backticked spans as ``<code>``.

    ``page`` is HTML with its text escaped, as the engine renders it: every ``<`` in it opens
    a tag. A span never runs from one element's text into the next.
    """
    parts = _TAG.split(page)
    in_pre = 0
    for index, part in enumerate(parts):
        if index % 2:  # a tag
            name = part[1:].split(None, 1)[0].rstrip(">").lower() if len(part) > 2 else ""
            if name == "pre":
                in_pre += 1
            elif name == "/pre":
                in_pre = max(in_pre - 1, 0)
        elif "`" in part:
            parts[index] = code_spans(part, in_pre=bool(in_pre))
    return "".join(parts)


def described_once(result: ExerciseResult) -> ExerciseResult:
    """A copy whose rows after the first of an item leave the item's description out."""
    shown = copy.copy(result)
    shown.checks = []
    described: set[tuple[str, str]] = set()
    for check in result.checks:
        key = (check.rule, check.rule_text)
        row = check
        if check.rule_text and key in described:
            row = copy.copy(check)
            row.rule_text = ""
        described.add(key)
        shown.checks.append(row)
    return shown


def result_text(result: ExerciseResult, *, show_tracebacks: bool = False) -> str:
    text = described_once(result).render_text(show_tracebacks=show_tracebacks)
    # a row without its description would end in the space before it
    return "\n".join(line.rstrip() for line in text.splitlines())


def result_html(result: ExerciseResult, *, show_tracebacks: bool = False) -> str:
    return with_code_spans(described_once(result).render_html(show_tracebacks=show_tracebacks))
