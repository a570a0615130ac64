"""Run an exercise's checks against a piece of code and gather every kind of evidence.

1. The code runs as a fresh module (an error there is the only row).
2. pytest runs the behaviour and contract checks; the hidden ones too when grading.
3. ruff reviews the source.
4. Deprecation warnings from pydantic and FastAPI, and "never awaited" warnings, become rows.

pytest runs in a worker thread of its own: a Jupyter kernel's main thread already runs an event
loop, and checks must not share it.
"""

from __future__ import annotations

import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

from autograder import registry as registry_module
from autograder.engine import loading as learner_code
from autograder.engine import plugin as check_fixtures
from autograder.engine.guard import Violation, review_answer
from autograder.engine.plugin import CheckPlugin
from autograder.engine.results import CheckResult, ExerciseResult
from autograder.engine.review import Finding, ReviewUnavailable, review

PYTEST_INI = Path(__file__).with_name("pytest-checks.ini")
PYTEST_ARGS = (
    "--disable-plugin-autoload",  # only what checks need: faster and reproducible
    "-p", "no:cacheprovider",  # never write .pytest_cache next to learners' work
    "-p", "no:terminal",  # results are rendered by the workbook, not printed by pytest
    "-p", "no:warnings",  # warnings are collected by CheckPlugin instead
    "-p", "no:faulthandler",
    "-p", "no:logging",
    "-p", "no:capture",  # a learner's print() shows up in the cell, where they expect it
    # These two run gc.collect() around every session: 40 ms a check, for reports the
    # workbook already makes (blocked loops, warnings, exceptions in the app's thread).
    "-p", "no:unraisableexception",
    "-p", "no:threadexception",
    "--import-mode=importlib",  # check modules re-import cleanly on every run
    # Checks report through fail()/require(); rewriting asserts would also rewrite every module
    # imported during the run (python_files is *.py), which cost a cold check 0.35 s.
    "--assert=plain",
)  # fmt: skip

_run_lock = threading.Lock()


@cache
def _pytest_thread() -> ThreadPoolExecutor:
    """One long-lived worker thread, created on first use: it keeps warm checks warm."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="workbook-checks")


def run_checks(exercise_id: str, source: str, *, hidden: bool = False) -> ExerciseResult:
    registry = registry_module.load()
    exercise = registry.exercise(exercise_id)
    started = time.perf_counter()
    with _run_lock:
        result = _run(exercise, registry, source, hidden)
    result.seconds = time.perf_counter() - started
    return result


def _run(
    exercise: registry_module.Exercise,
    registry: registry_module.Registry,
    source: str,
    hidden: bool,
) -> ExerciseResult:
    result = ExerciseResult(exercise.id)
    violations = review_answer(source)
    if violations:
        # Never run code that reaches for the grader: it runs in the same process as the checks.
        result.checks.append(_guard_row(violations))
        return result
    loaded = learner_code.load(exercise.id, source, "learner")
    if not loaded.ok:
        assert loaded.error is not None
        result.checks.append(
            CheckResult(
                name="the cell runs",
                rule="",
                rule_text="Code must run before it can be checked.",
                status="failed",
                message=learner_code.describe_error(loaded.error, loaded.filename),
                hint="Fix the error above, run the exercise cell again, then this check.",
                kind="runs",
                traceback=learner_code.format_traceback(loaded.error),
            )
        )
        return result

    reference = None
    paths = [exercise.checks_path]
    if hidden:
        reference = learner_code.load(exercise.id, exercise.reference_source(), "reference")
        if not reference.ok:
            raise RuntimeError(f"the reference for {exercise.id} does not run: {reference.error!r}")
        paths.append(exercise.hidden_checks_path)

    plugin = CheckPlugin(exercise, registry, loaded, reference)
    args = [*PYTEST_ARGS, "-c", str(PYTEST_INI), "--rootdir", str(PYTEST_INI.parent)]
    args += [str(path) for path in paths]
    exit_code, caught = _pytest_thread().submit(_pytest_recording_warnings, args, plugin).result()
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(
            f"the checks for {exercise.id} could not run (pytest exit {exit_code!r})"
        )
    result.checks.extend(plugin.rows)
    result.checks.extend(_review_rows(exercise, registry, source))
    result.checks.extend(_warning_rows(exercise, loaded, caught))
    return result


def _guard_row(violations: list[Violation]) -> CheckResult:
    return CheckResult(
        name="the answer keeps to its own app",
        rule="grader-guard",
        rule_text=(
            "Exercise code may not import or change the grader, the interpreter or the "
            "libraries both apps share; such code is not run."
        ),
        status="failed",
        message="\n".join(f"line {v.line}: {v.what}" for v in violations),
        hint="Remove those lines: the exercise never needs them.",
        kind="runs",
    )


def _pytest_recording_warnings(
    args: list[str], plugin: CheckPlugin
) -> tuple[int | pytest.ExitCode, list[warnings.WarningMessage]]:
    # Recorded around the whole session: the lifespan starts in fixture set-up, on the app's own
    # thread, and a deprecated call there counts as much as one made during a request.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exit_code = pytest.main(args, plugins=[plugin, check_fixtures])
    return exit_code, list(caught)


def _review_rows(
    exercise: registry_module.Exercise, registry: registry_module.Registry, source: str
) -> list[CheckResult]:
    try:
        findings = review(source, exercise.extra_ruff_rules)
    except ReviewUnavailable as error:
        return [
            CheckResult(
                name="static review (ruff)",
                rule="ruff",
                rule_text="The cell is reviewed by ruff.",
                status="error",
                message=str(error),
                hint="Reinstall the workbook (make lab) so that ruff is available.",
                kind="static",
            )
        ]
    if not findings:
        return [
            CheckResult(
                name="static review (ruff)",
                rule="ruff",
                rule_text="No ruff rule from the workbook's set is broken.",
                status="passed",
                kind="static",
            )
        ]
    by_code: dict[str, list[Finding]] = {}
    for finding in findings:
        by_code.setdefault(finding.code, []).append(finding)
    rows = []
    for code, group in by_code.items():
        item = group[0].related_item
        rows.append(
            CheckResult(
                name=f"static review: {code}",
                rule=code,
                rule_text=registry.catalog.get(item, "") if item else group[0].message,
                status="failed",
                message="\n".join(f"line {f.line}: {f.message}" for f in group),
                hint=f"Ruff explains {code}: run `ruff rule {code}` in a terminal.",
                kind="static",
            )
        )
    return rows


def _warning_rows(
    exercise: registry_module.Exercise,
    loaded: learner_code.LoadedCode,
    during_checks: list[warnings.WarningMessage],
) -> list[CheckResult]:
    relevant: dict[str, warnings.WarningMessage] = {}
    for caught in [*loaded.warnings, *during_checks]:
        text = str(caught.message)
        if _is_relevant(caught, loaded.filename) and text not in relevant:
            relevant[text] = caught
    if not relevant:
        return [
            CheckResult(
                name="no deprecated APIs, no forgotten coroutines",
                rule="warnings",
                rule_text="Pydantic, FastAPI and Python itself raised no warning about this code.",
                status="passed",
                kind="warnings",
            )
        ]
    return [_warning_row(text, caught, loaded.filename) for text, caught in relevant.items()]


# name, rule text and hint for each kind of warning that fails a check
_NEVER_AWAITED = (
    "a coroutine was never awaited",
    "Every coroutine is awaited.",
    "Calling an async function only creates a coroutine; `await` it.",
)
_DEPRECATED = (
    "deprecated API used",
    "Write code for the library version you run: no deprecated calls.",
    "The warning names the modern replacement; use it.",
)
_LIBRARY_WARNING = (
    "the library warned about this code",
    "Code that makes its own libraries warn is not finished.",
    "Read the warning: it says what the library expected instead.",
)


def _warning_row(text: str, caught: warnings.WarningMessage, filename: str) -> CheckResult:
    never_awaited = "never awaited" in text
    if never_awaited:
        name, rule_text, hint = _NEVER_AWAITED
    elif issubclass(caught.category, DeprecationWarning | PendingDeprecationWarning):
        name, rule_text, hint = _DEPRECATED
    else:
        name, rule_text, hint = _LIBRARY_WARNING
    where = f"line {caught.lineno}: " if caught.filename == filename else ""
    return CheckResult(
        name=name,
        rule="async-5" if never_awaited else caught.category.__name__,
        rule_text=rule_text,
        status="failed",
        message=f"{where}{caught.category.__name__}: {' '.join(text.split())}",
        hint=hint,
        kind="warnings",
    )


def _is_relevant(caught: warnings.WarningMessage, filename: str) -> bool:
    if issubclass(caught.category, RuntimeWarning):
        return "never awaited" in str(caught.message)
    if caught.category is UserWarning:
        # pydantic says so when a model uses Pydantic 1 names ("orm_mode has been renamed").
        return caught.filename == filename or "/pydantic/" in caught.filename
    if not issubclass(caught.category, DeprecationWarning | PendingDeprecationWarning):
        return False
    # Deprecations the learner's own code triggered: pydantic and FastAPI point their
    # warnings at the caller; pydantic's class-based config warning points into pydantic.
    module = caught.category.__module__
    return caught.filename == filename or module.startswith("pydantic")
