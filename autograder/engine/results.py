"""What a check run produces: one row per check, and a verdict for the exercise.

The same objects serve the notebook (rendered as one screen of HTML or text), the command line
(JSON) and grading (points). The JSON follows the shape of Exercism's runner results: a
status, and per check its name, rule, status and message.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Literal

Status = Literal["passed", "failed", "error"]


@dataclass
class CheckResult:
    name: str
    rule: str  # a catalog item id, or a tool's rule code such as ruff's ASYNC251
    rule_text: str
    status: Status
    message: str = ""  # what was observed; empty when the check passed
    hint: str = ""
    kind: Literal["behaviour", "static", "warnings", "runs"] = "behaviour"
    hidden: bool = False
    traceback: str = ""  # raw detail, shown only when the learner asks for it
    # "trusted": gathered where the answer cannot reach (HTTP, its source, the fake upstreams,
    # timing from outside). "reported": only the answer process's own report says so.
    evidence: Literal["trusted", "reported"] = "trusted"
    explanation: str = ""  # the rule explained at length (ruff's own words), shown folded

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class ExerciseResult:
    exercise_id: str
    checks: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # about the run itself, shown above the rows
    next_step: str = ""  # after a pass: what to do next (the learner's tools fill it in)

    @property
    def status(self) -> Status:
        if any(check.status == "error" for check in self.checks):
            return "error"
        if not self.checks or any(check.status == "failed" for check in self.checks):
            return "failed"
        return "passed"

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def failures(self) -> list[CheckResult]:
        return [check for check in self.checks if not check.passed]

    def to_json(self, *, include_tracebacks: bool = False) -> dict[str, object]:
        rows = []
        for check in self.checks:
            row = asdict(check)
            if not include_tracebacks:
                row.pop("traceback")
            rows.append(row)
        return {
            "exercise": self.exercise_id,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
            "checks": rows,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ExerciseResult:
        """The inverse of ``to_json``: how a result travels back from a grading process."""
        rows = data.get("checks", [])
        notes = data.get("notes", [])
        if not isinstance(rows, list) or not isinstance(notes, list):
            raise ValueError("a result's checks and notes are lists")
        return cls(
            exercise_id=str(data["exercise"]),
            checks=[CheckResult(**row) for row in rows],
            seconds=float(data.get("seconds", 0.0)),  # type: ignore[arg-type]
            notes=[str(note) for note in notes],
        )

    # --- rendering: one screen, no raw tracebacks unless asked -------------------------------

    def render_text(self, *, show_tracebacks: bool = False) -> str:
        passed = sum(check.passed for check in self.checks)
        verdict = "PASSED" if self.passed else "NOT YET"
        lines = [f"{self.exercise_id}: {verdict} ({passed}/{len(self.checks)} checks)"]
        lines.extend(f"  note: {note}" for note in self.notes)
        for check in self.checks:
            mark = "✔" if check.passed else "✘"
            lines.append(f"  {mark} {check.name}  [{check.rule}] {check.rule_text}")
            if not check.passed:
                lines.extend(f"      {line}" for line in check.message.splitlines())
                if check.hint:
                    lines.append(f"      hint: {check.hint}")
                why = _why(check.explanation)
                if why:
                    lines.append(f"      why: {why}")
                if show_tracebacks and check.traceback:
                    lines.extend(f"      | {line}" for line in check.traceback.splitlines())
        if self.passed:
            lines.append("All checks pass. Compare with the reference when you are ready.")
            if self.next_step:
                lines.append(self.next_step)
        return "\n".join(lines)

    def render_html(self, *, show_tracebacks: bool = False) -> str:
        # Plain blocks with inline styles: Jupyter's stylesheet right-aligns table cells, and
        # a result must read the same in JupyterLab, in nbconvert's HTML and in feedback.
        passed = sum(check.passed for check in self.checks)
        colour = PASS_COLOUR if self.passed else FAIL_COLOUR
        verdict = "Passed" if self.passed else "Not yet"
        rows = "".join(_html_row(check, show_tracebacks) for check in self.checks)
        notes = "".join(
            f"<div style='margin:4px 0;color:{FAIL_COLOUR}'><b>Note:</b> {html.escape(note)}</div>"
            for note in self.notes
        )
        return (
            f"<div class='wb-result' data-exercise='{html.escape(self.exercise_id)}' "
            f"data-status='{self.status}' style='text-align:left;border-left:4px solid "
            f"{colour};padding:2px 10px;margin:4px 0'>"
            f"<div style='font-weight:bold;color:{colour}'>"
            f"{html.escape(self.exercise_id)}: {verdict} ({passed}/{len(self.checks)} checks)</div>"
            f"{notes}{rows}{self._html_next()}</div>"
        )

    def _html_next(self) -> str:
        if not (self.passed and self.next_step):
            return ""
        return (
            f"<div class='wb-next' style='margin:6px 0;color:{PASS_COLOUR}'>"
            f"<b>{html.escape(self.next_step)}</b></div>"
        )


PASS_COLOUR = "#1a7f37"
FAIL_COLOUR = "#b42318"


def _html_row(check: CheckResult, show_tracebacks: bool) -> str:
    mark, colour = ("✔", PASS_COLOUR) if check.passed else ("✘", FAIL_COLOUR)
    rule = f"<code>{html.escape(check.rule)}</code> {html.escape(check.rule_text)}"
    detail = ""
    if not check.passed:
        detail = _pre(check.message)
        if check.hint:
            detail += f"<div><b>Hint:</b> {html.escape(check.hint)}</div>"
        if check.explanation:
            detail += (
                f"<details><summary>What {html.escape(check.rule)} is about</summary>"
                f"{_pre(check.explanation, tint='rgba(128,128,128,0.08)')}</details>"
            )
        if show_tracebacks and check.traceback:
            detail += f"<details open><summary>traceback</summary>{_pre(check.traceback)}</details>"
        detail = f"<div style='margin-left:1.6em'>{detail}</div>"
    return (
        "<div style='margin:6px 0'>"
        f"<span style='color:{colour};font-weight:bold'>{mark}</span> "
        f"<b>{html.escape(check.name)}</b> <small style='opacity:0.75'>{rule}</small>"
        f"{detail}</div>"
    )


def _pre(text: str, tint: str = "rgba(180,35,24,0.06)") -> str:
    # pre-wrap keeps the text's own line breaks; breaking only between words (never inside
    # one, as "time.sl eep") and scrolling sideways when a word is wider than the cell.
    return (
        "<pre style='white-space:pre-wrap;word-break:normal;overflow-wrap:normal;"
        f"overflow-x:auto;margin:2px 0;padding:4px 6px;background:{tint}'>"
        f"{html.escape(text)}</pre>"
    )


def _why(explanation: str) -> str:
    """The "why" paragraph of a ruff explanation, on one line, for plain text."""
    if "## Why is this bad?" not in explanation:
        return ""
    paragraph = explanation.split("## Why is this bad?", 1)[1].strip().split("\n\n", 1)[0]
    return " ".join(paragraph.split())
