"""Half-fixed answers made from the diff between an exercise's starter and its reference.

The diff is split into hunks (difflib, one hunk per contiguous change). For ``k`` hunks the
author check tries the reference with one hunk left out (``k`` answers: "leave one out") and the
starter with only one hunk applied (``k`` more: "one step"). Each must fail: a learner who has
made only part of the fix has not fixed it.

Where hunks are not the steps a learner takes (an import and the code that uses it, a class and
the route that needs it), the exercise's reviewed file groups hunk numbers into steps::

    # autograder/registry/reviewed/<slug>.toml
    [partial_fixes]
    steps = [[1, 4], [2, 3]]   # hunks 1 and 4 are one step, 2 and 3 another; the rest alone

Imports are not steps: a hunk that only changes imports is, in every partial fix, the imports
of both sides merged (so no partial fix fails merely on a NameError; an unused import is not
reviewed). Hunks are numbered from 1 in order, import-only hunks left out.

A partial fix that is behaviourally the reference (a comment or an import moved) is listed
there with the reason, and then its passing is expected::

    [[partial_fixes.equivalent]]
    name = "reference-without-step-2"
    why = "step 2 only rewords a comment"

Reviewed files are read by ``autograder.authoring.reviewed``.
"""

from __future__ import annotations

import ast
import difflib
import textwrap
from dataclasses import dataclass

from autograder.authoring.reviewed import reviewed_file
from autograder.registry import Exercise

LEAVE_ONE_OUT = "reference-without"
ONE_STEP = "starter-with-only"


@dataclass(frozen=True)
class Hunk:
    """One contiguous change: starter lines ``[a_start, a_end)`` become reference lines
    ``[b_start, b_end)``."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int


@dataclass(frozen=True)
class Step:
    number: int  # 1-based, as reviewed files name them
    hunks: tuple[Hunk, ...]

    def describe(self, reference_lines: list[str], starter_lines: list[str]) -> str:
        """Where the step is, in the reference (or the starter, for a deletion)."""
        spans = []
        for hunk in self.hunks:
            if hunk.b_end > hunk.b_start:
                spans.append(f"reference lines {hunk.b_start + 1}-{hunk.b_end}")
            else:
                spans.append(f"starter lines {hunk.a_start + 1}-{hunk.a_end} removed")
        return ", ".join(spans)


@dataclass(frozen=True)
class PartialFix:
    name: str  # "reference-without-step-2", "starter-with-only-step-2"
    kind: str  # LEAVE_ONE_OUT or ONE_STEP
    step: Step
    source: str
    where: str


def hunks_between(starter: str, reference: str) -> list[Hunk]:
    a = starter.splitlines(keepends=True)
    b = reference.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    hunks: list[Hunk] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        # Changes parted only by blank lines are one change: difflib matches a blank line
        # inside rewritten code, and one half of that rewrite alone is not an answer.
        if hunks and not "".join(a[hunks[-1].a_end : i1]).strip():
            hunks[-1] = Hunk(hunks[-1].a_start, i2, hunks[-1].b_start, j2)
        else:
            hunks.append(Hunk(i1, i2, j1, j2))
    return hunks


def steps_of(hunks: list[Hunk], grouping: list[list[int]]) -> list[Step]:
    """Group hunks (1-based numbers) into steps; a hunk named by no group is a step alone."""
    named = [number for group in grouping for number in group]
    unknown = sorted(set(named) - set(range(1, len(hunks) + 1)))
    if unknown or len(named) != len(set(named)):
        raise ValueError(
            f"partial_fixes.steps names hunks {unknown or 'twice'}; the diff has "
            f"{len(hunks)} hunks (numbered from 1): list each at most once"
        )
    groups = [list(group) for group in grouping]
    groups += [[number] for number in range(1, len(hunks) + 1) if number not in named]
    groups.sort(key=min)
    return [
        Step(index, tuple(hunks[number - 1] for number in sorted(group)))
        for index, group in enumerate(groups, start=1)
    ]


def _import_lines(source: str) -> set[int]:
    """0-based numbers of the lines that module-level imports span."""
    lines: set[int] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            lines.update(range(node.lineno - 1, node.end_lineno or node.lineno))
    return lines


def _only_imports(
    hunk: Hunk, starter: list[str], reference: list[str], a: set[int], b: set[int]
) -> bool:
    changed = [(i, starter, a) for i in range(hunk.a_start, hunk.a_end)]
    changed += [(j, reference, b) for j in range(hunk.b_start, hunk.b_end)]
    return all(number in imports or not lines[number].strip() for number, lines, imports in changed)


def _both_imports(hunk: Hunk, starter: list[str], reference: list[str]) -> list[str]:
    """The imports of both sides of an import-only hunk, merged: whichever steps a partial fix
    takes, every name either side imports is there (an unused import is not reviewed)."""
    names: dict[str | None, list[str]] = {}
    text = "".join(starter[hunk.a_start : hunk.a_end] + reference[hunk.b_start : hunk.b_end])
    for node in ast.parse(textwrap.dedent(text)).body:
        module = node.module if isinstance(node, ast.ImportFrom) else None
        for alias in node.names:  # type: ignore[attr-defined]
            spelled = alias.name + (f" as {alias.asname}" if alias.asname else "")
            if spelled not in names.setdefault(module, []):
                names[module].append(spelled)
    out = [f"import {name}\n" for name in names.pop(None, [])]
    out += [f"from {module} import {', '.join(spelled)}\n" for module, spelled in names.items()]
    return out


def _apply(
    starter: list[str],
    reference: list[str],
    hunks: list[Hunk],
    take: set[Hunk],
    imports: set[Hunk],
) -> str:
    """The starter with the hunks in ``take`` changed to the reference's lines, and the hunks
    in ``imports`` to both sides' imports."""
    out: list[str] = []
    position = 0
    for hunk in hunks:
        out.extend(starter[position : hunk.a_start])
        if hunk in imports:
            chosen = _both_imports(hunk, starter, reference)
        elif hunk in take:
            chosen = reference[hunk.b_start : hunk.b_end]
        else:
            chosen = starter[hunk.a_start : hunk.a_end]
        out.extend(chosen)
        position = hunk.a_end
    out.extend(starter[position:])
    return "".join(out)


def partial_fixes_of(
    exercise: Exercise, *, kinds: tuple[str, ...] = (LEAVE_ONE_OUT, ONE_STEP)
) -> list[PartialFix]:
    """Every half-fixed answer of ``kinds``; a step that is the whole diff makes none."""
    starter_text, reference_text = exercise.starter_source(), exercise.reference_source()
    starter = starter_text.splitlines(keepends=True)
    reference = reference_text.splitlines(keepends=True)
    hunks = hunks_between(starter_text, reference_text)
    a, b = _import_lines(starter_text), _import_lines(reference_text)
    imports = {hunk for hunk in hunks if _only_imports(hunk, starter, reference, a, b)}
    steps = steps_of([h for h in hunks if h not in imports], reviewed_file(exercise).steps)
    fixes: list[PartialFix] = []
    # With the imports merged, taking no step (or every step) is the starter (the reference).
    seen = {
        starter_text,
        reference_text,
        _apply(starter, reference, hunks, set(), imports),
        _apply(starter, reference, hunks, set(hunks), imports),
    }
    for step in steps:
        everything_else = set(hunks) - set(step.hunks)
        candidates = {
            LEAVE_ONE_OUT: _apply(starter, reference, hunks, everything_else, imports),
            ONE_STEP: _apply(starter, reference, hunks, set(step.hunks), imports),
        }
        for kind in kinds:
            source = candidates[kind]
            if source in seen:  # one step is the whole fix: this is the starter or the reference
                continue
            try:
                compile(source, "<partial fix>", "exec", dont_inherit=True)
            except SyntaxError as error:
                # Hunks cut across a block: write the steps in the reviewed file instead.
                raise ValueError(
                    f"{exercise.id}: {kind}-step-{step.number} does not compile ({error}); "
                    f"group its hunks into steps a learner takes, in {reviewed_file(exercise).path}"
                ) from error
            seen.add(source)
            fixes.append(
                PartialFix(
                    f"{kind}-step-{step.number}",
                    kind,
                    step,
                    source,
                    step.describe(reference, starter),
                )
            )
    return fixes
