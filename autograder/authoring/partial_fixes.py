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

A step that changes only comments or layout makes no partial fix (its code is the starter's or
the reference's, as ``ast`` reads it).

Reviewed files are read by ``autograder.authoring.reviewed``.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
import subprocess
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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


def _undefined_names(sources: list[str]) -> list[set[str]]:
    """For each source, the names it uses and never defines (ruff's F821), in one ruff run."""
    from ruff.__main__ import find_ruff_bin

    with tempfile.TemporaryDirectory(prefix="workbook-partial-") as folder:
        for index, source in enumerate(sources):
            (Path(folder) / f"fix_{index}.py").write_text(source, encoding="utf-8")
        completed = subprocess.run(
            [find_ruff_bin(), "check", "--isolated", "--no-cache", "--exit-zero", "--quiet",
             "--select=F821", "--output-format=json", folder],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
    found: list[set[str]] = [set() for _ in sources]
    for finding in json.loads(completed.stdout or "[]"):
        index = int(Path(finding["filename"]).stem.removeprefix("fix_"))
        found[index].update(re.findall(r"`([^`]+)`", finding["message"])[:1])
    return found


def _defines(lines: list[str], name: str) -> bool:
    pattern = rf"^\s*((async\s+)?def|class)\s+{re.escape(name)}\b|^\s*{re.escape(name)}\s*[:=]"
    return any(re.search(pattern, line) for line in lines)


def steps_of(hunks: list[Hunk], grouping: list[list[int]]) -> list[list[int]]:
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
    return groups


def _numbered(hunks: list[Hunk], groups: list[list[int]]) -> list[Step]:
    groups = sorted(groups, key=min)
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


def _code_shape(source: str) -> str:
    """The code without its comments, layout and imports: equal shapes run alike."""
    tree = ast.parse(source)
    tree.body = [node for node in tree.body if not isinstance(node, ast.Import | ast.ImportFrom)]
    return ast.dump(tree)


def _uses(lines: list[str], name: str) -> bool:
    return any(re.search(rf"\b{re.escape(name)}\b", line) for line in lines)


def _step_lines(step: Step, starter: list[str], reference: list[str]) -> list[str]:
    return [
        line
        for hunk in step.hunks
        for line in reference[hunk.b_start : hunk.b_end] + starter[hunk.a_start : hunk.a_end]
    ]


def _closures(
    steps: list[Step], apply: Callable[[set[Step]], str], starter: list[str], reference: list[str]
) -> dict[tuple[str, int], set[Step]]:
    """The steps each partial fix takes, closed over what they need to run.

    "Starter with step X" also takes the steps that define a name X uses (a route's model
    class); "reference without step X" also leaves out the steps that use a name X defines (a
    global's readers): a learner's half-done fix runs, it is just not the whole fix. Names come
    from ruff's F821 (undefined name), for every partial fix at once, until nothing changes;
    a name no other step defines stays undefined, and that partial fix counts "does not run".
    """
    lines = {step: _step_lines(step, starter, reference) for step in steps}
    taken: dict[tuple[str, int], set[Step]] = {}
    for step in steps:
        taken[ONE_STEP, step.number] = {step}
        taken[LEAVE_ONE_OUT, step.number] = set(steps) - {step}
    unsettled = set(taken)
    while unsettled:
        keys = sorted(unsettled)
        missing = _undefined_names([apply(taken[key]) for key in keys])
        unsettled = set()
        for key, names in zip(keys, missing, strict=True):
            if not names:
                continue
            kind, _ = key
            if kind == ONE_STEP:  # take the steps that define them
                more = {s for s in steps if s not in taken[key]
                        and any(_defines(lines[s], name) for name in names)}  # fmt: skip
                taken[key] |= more
            else:  # leave out the steps that use them
                more = {s for s in taken[key] if any(_uses(lines[s], name) for name in names)}
                taken[key] -= more
            if more:
                unsettled.add(key)
    return taken


def _mentions_steps(kind: str, step: Step, taken: set[Step], steps: list[Step]) -> str:
    if kind == ONE_STEP:
        others = sorted(s.number for s in taken if s is not step)
        return f" (with step {', '.join(map(str, others))}, which it needs)" if others else ""
    others = sorted(s.number for s in steps if s not in taken and s is not step)
    return f" (and step {', '.join(map(str, others))}, which need it)" if others else ""


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
    steppable = [h for h in hunks if h not in imports]
    steps = _numbered(steppable, steps_of(steppable, reviewed_file(exercise).steps))

    def apply(taken: set[Step]) -> str:
        chosen = {hunk for step in taken for hunk in step.hunks}
        return _apply(starter, reference, hunks, chosen, imports)

    closures = _closures(steps, apply, starter, reference)
    fixes: list[PartialFix] = []
    # Answers the same code as the starter or the reference (imports aside) are no partial
    # fix: a step that only rewrites comments or layout, or a step that is the whole fix.
    # Every kind is made, in one fixed order (all leave-one-out answers first), and filtered at
    # the end: an answer two kinds both make keeps one name whichever kinds are asked for.
    seen = {_code_shape(starter_text), _code_shape(reference_text)}
    for kind in (LEAVE_ONE_OUT, ONE_STEP):
        for step in steps:
            taken = closures[kind, step.number]
            source = apply(taken)
            if _code_shape(source) in seen:
                continue
            name = f"{kind}-step-{step.number}"
            try:
                compile(source, "<partial fix>", "exec", dont_inherit=True)
            except SyntaxError as error:
                # Hunks cut across a block: write the steps in the reviewed file instead.
                raise ValueError(
                    f"{exercise.id}: {name} does not compile ({error}); group its hunks "
                    f"into steps a learner takes, in {reviewed_file(exercise).path}"
                ) from error
            seen.add(_code_shape(source))
            where = step.describe(reference, starter) + _mentions_steps(kind, step, taken, steps)
            fixes.append(PartialFix(name, kind, step, source, where))
    return [fix for fix in fixes if fix.kind in kinds]
