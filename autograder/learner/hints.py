"""Tiered hints: every request shows the next, more specific tier; the last tier is the reference.

An exercise's tiers are the hints in its registry entry, least specific first, then its reference
solution. The most specific tier shown so far is kept in the progress store
(:mod:`autograder.learner.progress_store`), so ``hint("ID")`` in a notebook and ``python -m
autograder hint ID`` in a terminal continue from the same place, also after a kernel restart.

The reference tier is withheld until the exercise has passed (it is then something to compare
with) or the learner confirms they want it now. Asking for "one more hint" should never hand
over the answer by surprise.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal

from autograder.engine.results import PASS_COLOUR
from autograder.learner.progress_store import ProgressStore, ProgressUnavailable, known_exercise
from autograder.registry import Exercise

HINT_MIME = "application/vnd.fastapi-workbook.hint+json"
HintKind = Literal["hint", "reference", "withheld"]
HINT_COLOUR = "#0969da"


# Tiers shown while the store cannot be written (read-only home): this process still advances.
_unsaved_tiers: dict[str, int] = {}


def tier_count(exercise: Exercise) -> int:
    """How many tiers an exercise has: its hints in words, then the reference."""
    return len(exercise.hints) + 1


@dataclass(frozen=True)
class HintAnswer:
    """What one hint request shows."""

    exercise: Exercise
    kind: HintKind
    tier: int  # the tier shown; when withheld, the tier that would have come next
    text: str  # the hint, the reference's code, or why the reference is withheld
    earlier: tuple[str, ...]  # hints in words shown before this one, least specific first
    note: str = ""  # something the learner should know, e.g. the store could not be written
    passed: bool = False  # the exercise has passed: the reference is there for the asking

    @property
    def total(self) -> int:
        return tier_count(self.exercise)

    @property
    def heading(self) -> str:
        if self.kind == "hint":
            return f"{self.exercise.id} · hint {self.tier} of {self.total}"
        if self.kind == "reference":
            return f"{self.exercise.id} · tier {self.tier} of {self.total}: the reference solution"
        return f"{self.exercise.id} · the reference solution is withheld"

    @property
    def next_step(self) -> str:
        if self.kind == "hint" and self.tier < len(self.exercise.hints):
            return "Ask again for a more specific hint."
        if self.kind == "hint" and self.passed:
            return "That was the last hint in words; ask again to see the reference solution."
        if self.kind == "hint":
            return (
                "That was the last hint in words; the next tier is the reference solution, "
                "shown once the exercise passes or when you confirm you want it."
            )
        if self.kind == "reference":
            return "This is the last tier. Compare it with your answer, line by line."
        return ""

    def to_json(self) -> dict[str, object]:
        return {
            "exercise": self.exercise.id,
            "kind": self.kind,
            "tier": self.tier,
            "tiers": self.total,
            "text": self.text,
            "earlier": list(self.earlier),
            "note": self.note or None,
        }

    def render_text(self) -> str:
        body = self.text.rstrip() if self.kind == "reference" else _indent(self.text)
        lines = [self.heading, body]
        if self.earlier:
            lines.append("Earlier hints:")
            lines.extend(f"  {number}. {text}" for number, text in enumerate(self.earlier, 1))
        for extra in (self.next_step, self.note):
            if extra:
                lines.append(extra)
        return "\n".join(lines)

    def render_html(self) -> str:
        colour = PASS_COLOUR if self.kind == "reference" else HINT_COLOUR
        if self.kind == "reference":
            body = (
                "<pre style='white-space:pre-wrap;margin:2px 0;padding:4px 6px;"
                f"background:rgba(26,127,55,0.06)'>{html.escape(self.text)}</pre>"
            )
        else:
            body = f"<div>{_inline_code(self.text)}</div>"
        earlier = ""
        if self.earlier:
            items = "".join(f"<li>{_inline_code(text)}</li>" for text in self.earlier)
            earlier = (
                f"<details><summary>Earlier hints ({len(self.earlier)})</summary>"
                f"<ol style='margin:2px 0'>{items}</ol></details>"
            )
        extras = "".join(
            f"<div style='opacity:0.8'><small>{html.escape(extra)}</small></div>"
            for extra in (self.next_step, self.note)
            if extra
        )
        return (
            f"<div class='wb-hint' data-exercise='{html.escape(self.exercise.id)}' "
            f"data-kind='{self.kind}' data-tier='{self.tier}' style='text-align:left;"
            f"border-left:4px solid {colour};padding:2px 10px;margin:4px 0'>"
            f"<div style='font-weight:bold;color:{colour}'>{html.escape(self.heading)}</div>"
            f"{body}{earlier}{extras}</div>"
        )

    def mime_bundle(self) -> dict[str, object]:
        return {
            "text/plain": self.render_text(),
            "text/html": self.render_html(),
            HINT_MIME: self.to_json(),
        }


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def _inline_code(text: str) -> str:
    """Escape, then show `backticked` spans as code, the way the registry writes them."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def next_hint(
    exercise_id: str,
    *,
    reveal: bool = False,
    how_to_confirm: str = "",
    store: ProgressStore | None = None,
    already_said: frozenset[str] = frozenset(),
) -> HintAnswer:
    """Show the tier after the last one shown, and remember it.

    ``reveal`` is the learner's confirmation that the reference may be shown if it is the next
    tier; it does not skip the hints in words before it. ``how_to_confirm`` tells the learner
    how to give that confirmation where they are (a notebook call, a command-line flag).
    Raises :class:`~autograder.learner.progress_store.UnknownExercise` for an id the registry
    does not hold, and ``FileNotFoundError`` when the reference is kept elsewhere (a classroom).
    ``already_said`` holds hints the learner's last check showed: a tier saying nothing more is
    skipped, so that every hint goes beyond what the check already said.
    """
    exercise = known_exercise(exercise_id)
    store = store or ProgressStore()
    words = exercise.hints
    note = ""
    try:
        shown = store.hints_shown(exercise.id)
        passed = store.has_passed(exercise.id)
    except ProgressUnavailable as error:
        shown, passed = _unsaved_tiers.get(exercise.id, 0), False
        note = f"Which hint you saw last is not saved: {error}"
    said = {" ".join(text.split()) for text in already_said}
    while shown < len(words) - 1 and " ".join(words[shown].split()) in said:
        shown += 1  # the check said this already
    if shown < len(words):
        tier = shown + 1
    elif passed or reveal:
        tier = tier_count(exercise)
    else:
        confirm = how_to_confirm or (
            f'hint("{exercise.id}", reveal=True) in the notebook, or '
            f"`python -m autograder hint {exercise.id} --reveal` in a terminal"
        )
        return HintAnswer(
            exercise,
            "withheld",
            tier_count(exercise),
            f"You have seen all {len(words)} hints for {exercise.id}. The last tier is the "
            f"reference solution: it opens by itself once {exercise.id} passes its checks, so "
            f"that you can compare it with your answer. To see it now, confirm: {confirm}.",
            earlier=words,
            note=note,
        )
    text = words[tier - 1] if tier <= len(words) else exercise.reference_source()
    try:
        store.record_hint_shown(exercise.id, tier)
    except ProgressUnavailable as error:
        _unsaved_tiers[exercise.id] = max(_unsaved_tiers.get(exercise.id, 0), tier)
        note = f"Which hint you saw last is not saved: {error}"
    kind: HintKind = "hint" if tier <= len(words) else "reference"
    return HintAnswer(
        exercise, kind, tier, text, earlier=words[: tier - 1], note=note, passed=passed
    )
