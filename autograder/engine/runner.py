"""Run an exercise's checks against an answer and gather every kind of evidence.

The answer never runs in this process. What this process gathers, in order:

1. The source, read here: whether it compiles, ruff's review (``# noqa`` ignored), and the
   workbook's own source rules where no linter has one.
2. Behaviour over HTTP: the answer is started on an ``AnswerHost`` (a process of its own,
   confined to a sandbox in classroom grading), and pytest runs the exercise's checks against
   the app it serves on a Unix socket, beside the reference app, which is trusted and runs
   here. The fake upstream services the answer talks to are run here too, and say what they
   saw; timing is measured here.
3. The answer's report (``autograder.engine.report``): warnings, blocking calls and exceptions,
   as the answer process saw them. It adds detail to messages, and its own rows are marked
   ``evidence="reported"``; it never turns a failing answer into a passing one.

With ``trusted_only=True`` the report is set aside entirely: the author's proof that every
starter and wrong fix fails on trusted evidence alone.

pytest runs in a worker thread of its own: a Jupyter kernel's main thread already runs an
event loop, and checks must not share it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import sys
import threading
import time
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from autograder import registry as registry_module
from autograder.engine import plugin as check_fixtures
from autograder.engine import source_rules
from autograder.engine.answers import AnswerHost, AnswerSpec, RunningAnswer, default_host
from autograder.engine.checkkit import BLOCKING_SEEN, validation_error_text
from autograder.engine.plugin import CheckPlugin
from autograder.engine.report import AnswerReport, DiscardedReport
from autograder.engine.results import CheckResult, ExerciseResult
from autograder.engine.review import Finding, ReviewUnavailable, explanation, review
from autograder.engine.sanitize import sanitize
from workbook.databases import OTHER_BOOKS, SHELVES, LibraryDatabase, create_library
from workbook.host.protocol import upstream_env_name
from workbook.upstreams import SERVICES, FakeServices

PYTEST_INI = Path(__file__).with_name("pytest-checks.ini")
PYTEST_ARGS = (
    "--disable-plugin-autoload",  # only what checks need: faster and reproducible
    "-p", "no:cacheprovider",  # never write .pytest_cache next to learners' work
    "-p", "no:terminal",  # results are rendered by the workbook, not printed by pytest
    "-p", "no:warnings",
    "-p", "no:faulthandler",
    "-p", "no:logging",
    "-p", "no:capture",
    # These two run gc.collect() around every session: 40 ms a check, for nothing here.
    "-p", "no:unraisableexception",
    "-p", "no:threadexception",
    "--import-mode=importlib",  # check modules re-import cleanly on every run
    # Checks report through fail()/require(); rewriting asserts would also rewrite every module
    # imported during the run (python_files is *.py), which cost a cold check 0.35 s.
    "--assert=plain",
)  # fmt: skip
START_TIMEOUT_SECONDS = 20.0
PLACEHOLDER_OTHER_DATABASE = "{other_database_url}"
PLACEHOLDER_OWN_DATABASE = "{own_database_url}"
STOP_GRACE_SECONDS = 3.0

_run_lock = threading.Lock()


@cache
def _pytest_thread() -> ThreadPoolExecutor:
    """One long-lived worker thread, created on first use: it keeps warm checks warm."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="workbook-checks")


def _after_fork_in_child() -> None:
    """A forked process has only the thread that forked: the parent's checks thread is not
    there, though its executor still counts it, so work handed to it would wait for ever.
    The child makes its own thread and lock on first use."""
    global _run_lock  # noqa: PLW0603 (the one lock of this process, made anew in the child)
    _pytest_thread.cache_clear()
    _run_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


@dataclass
class Evidence:
    """Everything one run of checks draws on; the plugin's fixtures hand it to the checks."""

    exercise: registry_module.Exercise
    registry: registry_module.Registry
    source: str
    answer: RunningAnswer
    report: AnswerReport
    learner_services: FakeServices
    reference: types.ModuleType | None = None
    rows: list[CheckResult] = field(default_factory=list)
    host: AnswerHost | None = None
    spec: AnswerSpec | None = None
    # What the app was given: its database, and the values of its `.env` (by variable name).
    learner_database: LibraryDatabase | None = None
    env_values: dict[str, str] = field(default_factory=dict)
    more_answers: list[RunningAnswer] = field(default_factory=list)
    reference_host: AnswerHost | None = None  # the reference's own sandbox, once it is served

    def start_reference(self) -> RunningAnswer:
        """The reference, served like the learner's app (its own process, the same kind of
        socket): what timing checks compare with in the same run. It is trusted code; it runs
        there only so that both are measured the same way."""
        assert self.host is not None and self.spec is not None
        # The learner's spec with the reference's code; the dicts copied, as a database or
        # overrides are filled in per answer.
        spec = dataclasses.replace(
            self.spec,
            source=self.exercise.reference_source(),
            files={},
            entry="",
            env=dict(self.spec.env),
            relays=dict(self.spec.relays),
            overrides={},
            lifespan_cycles={},
        )
        if self.reference_host is None:
            self.reference_host = self.host.separate()
        _provide_database(self.exercise, self.reference_host, spec)
        answer = self.reference_host.start_answer(spec)
        self.more_answers.append(answer)
        return answer

    def start_another(
        self,
        overrides: dict[str, dict[str, Any]] | None = None,
        lifespan_cycles: dict[str, Any] | None = None,
    ) -> tuple[RunningAnswer, LibraryDatabase | None, LibraryDatabase | None]:
        """The same answer once more, in a process of its own with a fresh database, its
        dependencies ``overrides`` replaced (``workbook.host.overrides``), its lifespan first
        run ``lifespan_cycles["count"]`` times if asked (``workbook.host.apps``).

        ``"{other_database_url}"`` in an override's values stands for a second fresh database
        with other books (``workbook.databases.OTHER_BOOKS``): the one an overridden session
        must use; ``"{own_database_url}"`` for the app's own. Returns the answer, its own
        database and the other one (or None).
        """
        assert self.host is not None and self.spec is not None
        spec = dataclasses.replace(
            self.spec,
            env=dict(self.spec.env),
            relays=dict(self.spec.relays),
            overrides={},
            lifespan_cycles=dict(lifespan_cycles or {}),
        )
        database = _provide_database(self.exercise, self.host, spec)
        wanted = json.dumps(overrides or {})
        other = None
        if PLACEHOLDER_OTHER_DATABASE in wanted:
            here, there = self.host.data_folder()
            other = create_library(here / "other.sqlite3", books=OTHER_BOOKS)
            url = f"sqlite+aiosqlite:///{there}/other.sqlite3"
            wanted = wanted.replace(PLACEHOLDER_OTHER_DATABASE, url)
        if database is not None:
            wanted = wanted.replace(PLACEHOLDER_OWN_DATABASE, spec.env["DATABASE_URL"])
        spec.overrides = json.loads(wanted)
        answer = self.host.start_answer(spec)
        self.more_answers.append(answer)
        return answer, database, other


def run_checks(
    exercise_id: str,
    source: str,
    *,
    hidden: bool = False,
    host: AnswerHost | None = None,
    services: FakeServices | None = None,
    trusted_only: bool = False,
    memory_mb: int = 2048,
) -> ExerciseResult:
    """Check ``source`` as the answer to ``exercise_id``; ``hidden`` adds the hidden checks.

    ``host`` runs the answer (the process's own unconfined one by default), ``services`` are
    the fake upstreams it talks to, ``memory_mb`` bounds the answer process's address space.
    """
    registry = registry_module.load()
    exercise = registry.exercise(exercise_id)
    started = time.perf_counter()
    with _run_lock:
        result = _run(exercise, registry, source, hidden, host, services, trusted_only, memory_mb)
    secrets = []
    if hidden:
        secrets = [exercise.reference_source(), exercise.hidden_checks_path.read_text("utf-8")]
    sanitize(result, answer_source=source, secret_sources=secrets)
    result.seconds = time.perf_counter() - started
    return result


def _run(
    exercise: registry_module.Exercise,
    registry: registry_module.Registry,
    source: str,
    hidden: bool,
    host: AnswerHost | None,
    services: FakeServices | None,
    trusted_only: bool,
    memory_mb: int,
) -> ExerciseResult:
    result = ExerciseResult(exercise.id)
    compile_error = _compile_error(exercise, source)
    if compile_error is not None:
        result.checks.append(compile_error)
        return result

    host = host or default_host()
    learner_services = services or _notebook_services()
    learner_services.reset()
    spec = _spec(exercise, source, host, learner_services)
    spec.memory_mb = memory_mb
    env_values = _env_values(exercise)
    spec.env_file = "".join(f"{name}={value}\n" for name, value in env_values.items())
    database = _provide_database(exercise, host, spec)
    answer = host.start_answer(spec)
    evidence: Evidence | None = None
    try:
        if not answer.wait_until_serving(START_TIMEOUT_SECONDS):
            answer.stop(grace=0.5)
            result.checks.append(_does_not_run(answer, trusted_only))
            return result
        report = DiscardedReport(answer.report) if trusted_only else answer.report
        evidence = Evidence(exercise, registry, source, answer, report, learner_services)
        evidence.host, evidence.spec = host, spec
        evidence.learner_database, evidence.env_values = database, env_values
        if hidden:
            evidence.reference = _load_reference(exercise)
        paths = [exercise.checks_path] + ([exercise.hidden_checks_path] if hidden else [])
        plugin = CheckPlugin(evidence)
        args = [*PYTEST_ARGS, "-c", str(PYTEST_INI), "--rootdir", str(PYTEST_INI.parent)]
        args += [str(path) for path in paths]
        exit_code = _pytest_thread().submit(pytest.main, args, [plugin, check_fixtures]).result()
        if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            raise RuntimeError(
                f"the checks for {exercise.id} could not run (pytest exit {exit_code!r})"
            )
    finally:
        for more in evidence.more_answers if evidence is not None else []:
            if not more.stop_note:
                more.stop(grace=0.5)
        if evidence is not None and evidence.reference_host is not None:
            evidence.reference_host.close()
        if not answer.stop_note:
            answer.stop(grace=STOP_GRACE_SECONDS)
    # Trusted only: a check that decides on the answer's own report counts for nothing.
    result.checks.extend(r for r in plugin.rows if not trusted_only or r.evidence == "trusted")
    result.checks.extend(_review_rows(exercise, registry, source))
    if not trusted_only:
        result.checks.extend(_report_rows(answer))
        result.checks.extend(_blocking_rows(answer.report, result.checks))
        result.checks.extend(_warning_rows(answer.report))
    return result


def _spec(
    exercise: registry_module.Exercise, source: str, host: AnswerHost, services: FakeServices
) -> AnswerSpec:
    spec = AnswerSpec(
        exercise.id, source=source, factory=exercise.app_factory, copies=exercise.app_copies
    )
    for name in SERVICES:
        if host.confined:
            relay = host.launcher.relay_path(services.unix_path(name))
            if relay is not None:
                spec.relays[name] = relay
        else:
            spec.env[upstream_env_name(name)] = services.url(name)
    return spec


def _env_values(exercise: registry_module.Exercise) -> dict[str, str]:
    """The exercise's `.env`, with a fresh random value wherever it says ``{secret}``."""
    secret = secrets.token_urlsafe(24)
    return {name: value.replace("{secret}", secret) for name, value in exercise.env_file}


def _provide_database(
    exercise: registry_module.Exercise, host: AnswerHost, spec: AnswerSpec
) -> LibraryDatabase | None:
    """A fresh seeded database for one app, in a folder the answer can write and this process
    can read afterwards; its URL, as the answer sees the file, goes in DATABASE_URL."""
    if not exercise.database:
        return None
    here, there = host.data_folder()
    database = create_library(here / "library.sqlite3", books=SHELVES[exercise.database])
    spec.env["DATABASE_URL"] = f"sqlite+aiosqlite:///{there}/library.sqlite3"
    return database


@cache
def _notebook_services() -> FakeServices:
    """The learner's own set of fake services, for answers started by this process."""
    return FakeServices().start()


def _load_reference(exercise: registry_module.Exercise) -> types.ModuleType:
    """The reference, trusted code, loaded here afresh for every run (it keeps state)."""
    source = exercise.reference_source()
    name = f"workbook_reference_{exercise.slug}"
    module = types.ModuleType(name)
    module.__file__ = str(exercise.reference_path)
    sys.modules[name] = module  # pydantic resolves forward references through sys.modules
    exec(compile(source, str(exercise.reference_path), "exec"), module.__dict__)
    return module


# --- rows from the source -----------------------------------------------------------------------


def _compile_error(exercise: registry_module.Exercise, source: str) -> CheckResult | None:
    """Compiling reads the code without running it; an answer that does not compile stops here."""
    try:
        compile(source, f"<answer {exercise.id}>", "exec", dont_inherit=True)
    except SyntaxError as error:
        text = (error.text or "").strip()
        message = f"SyntaxError on line {error.lineno}: {error.msg}" + (
            f"\n    {text}" if text else ""
        )
    except (ValueError, RecursionError, MemoryError, OverflowError) as error:
        message = f"The code could not be compiled: {type(error).__name__}: {error}"
    else:
        return None
    return _runs_row(message, "Fix the error above, run the exercise cell again, then this check.")


def _runs_row(message: str, hint: str, traceback: str = "") -> CheckResult:
    return CheckResult(
        name="the cell runs",
        rule="",
        rule_text="Code must run, and serve its app, before it can be checked.",
        status="failed",
        message=message,
        hint=hint,
        kind="runs",
        traceback=traceback,
    )


def _does_not_run(answer: RunningAnswer, trusted_only: bool) -> CheckResult:
    error = None if trusted_only else answer.report.load_error
    if error is not None:
        where = ""
        if error.line:
            place = "" if error.function in (None, "<module>") else f"`{error.function}`, "
            where = f"\n    raised in {place}line {error.line}: {error.code}"
        if error.type == "NoApp":
            return _runs_row(
                error.message, "Keep `app = FastAPI(...)` at the top level of the cell."
            )
        return _runs_row(
            f"{error.type}: {validation_error_text(error.message)}".rstrip(": ") + where,
            "Fix the error above, run the exercise cell again, then this check.",
            traceback=error.traceback,
        )
    if answer.report.ended:
        reason = "its process ended before it served"
    else:
        reason = f"it did not start serving within {START_TIMEOUT_SECONDS:.0f} s"
    if answer.stop_note and "not running" not in answer.stop_note:
        reason += f" ({answer.stop_note})"
    return _runs_row(
        f"The app never answered: {reason}. Look for code at the top level of the cell, or in "
        "the lifespan, that never finishes, exits, or fails.",
        "Run the cell itself: an error there shows where it stops.",
    )


def _review_rows(
    exercise: registry_module.Exercise, registry: registry_module.Registry, source: str
) -> list[CheckResult]:
    try:
        found = review(source, exercise.extra_ruff_rules)
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
    found = source_rules.without_duplicates(found + source_rules.findings(source))
    if not found:
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
    for finding in found:
        by_code.setdefault(finding.code, []).append(finding)
    rows = []
    for code, group in by_code.items():
        item = group[0].related_item or source_rules.RELATED_ITEMS.get(code, "")
        own_rule = code in source_rules.RULES
        rule_text = registry.catalog.get(item, "") if item else ""
        rows.append(
            CheckResult(
                # the code itself is the row's tag, shown beside its name
                name="static review (workbook rules)" if own_rule else "static review (ruff)",
                rule=code,
                rule_text=rule_text or source_rules.RULES.get(code, group[0].message),
                status="failed",
                message="\n".join(f"line {f.line}: {f.message}" for f in group),
                hint=(
                    source_rules.RULE_HINTS.get(code, "The message says what to change.")
                    if own_rule
                    else f"Ruff's explanation of {code} is folded below "
                    f"(`ruff rule {code}` in a terminal prints it too)."
                ),
                kind="static",
                explanation="" if own_rule else explanation(code),
            )
        )
    return rows


# --- rows from the answer's report --------------------------------------------------------------


def _report_rows(answer: RunningAnswer) -> list[CheckResult]:
    """A missing or malformed report fails the answer: the host always writes a whole one."""
    report = answer.report
    problem = ""
    if report.malformed:
        problem = f"its report could not be read: {report.malformed}"
    elif not report.greeted:
        problem = "it never reported"
    elif report.stopped is None:
        problem = f"it did not report that it stopped ({answer.stop_note or 'no word'})"
    if not problem:
        return []
    return [
        CheckResult(
            name="the answer's process reported back",
            rule="sandbox",
            rule_text=(
                "An answer runs in a process of its own, which reports what happened in it; "
                "an answer that silences or forges that report is not graded."
            ),
            status="failed",
            message=f"The process that ran your app ended badly: {problem}.",
            hint=(
                "Stop the app only through its lifespan, and leave the workbook's own files "
                "and output alone."
            ),
            kind="runs",
        )
    ]


def _blocking_rows(report: AnswerReport, rows: list[CheckResult]) -> list[CheckResult]:
    """Blocking calls the answer's process saw that no timed check already explained.

    A call too short to show in timing from outside (a millisecond's sleep) still holds the
    loop; the answer's own report is the only place it shows, so the row says so.
    """
    if not report.blocking or any(BLOCKING_SEEN in row.message for row in rows):
        return []
    lines = [
        f"{event.request or 'start-up'}: `{event.call}` {event.origin}"
        for event in report.blocking[:3]
    ]
    return [
        CheckResult(
            name="nothing blocks the event loop (as the app's own process saw it)",
            rule="async-1",
            rule_text="Blocking calls never run on the event loop.",
            status="failed",
            message="\n".join(lines),
            hint="Await an async equivalent, or hand the call to a thread (asyncio.to_thread).",
            kind="behaviour",
            evidence="reported",
        )
    ]


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
_DEPRECATION_CATEGORIES = {"DeprecationWarning", "PendingDeprecationWarning"}


def _warning_rows(report: AnswerReport) -> list[CheckResult]:
    relevant: dict[str, Any] = {}
    for warning in report.warnings:
        if _is_relevant(warning) and warning.message not in relevant:
            relevant[warning.message] = warning
    if not relevant:
        return [
            CheckResult(
                name="no deprecated APIs, no forgotten coroutines",
                rule="warnings",
                rule_text="Pydantic, FastAPI and Python itself raised no warning about this code.",
                status="passed",
                kind="warnings",
                evidence="reported",
            )
        ]
    return [_warning_row(warning) for warning in relevant.values()]


def _is_answer_file(filename: str) -> bool:
    return filename.startswith("<answer ")


def _is_relevant(warning: Any) -> bool:
    category = warning.category
    if category == "RuntimeWarning":
        return "never awaited" in warning.message
    if category == "UserWarning":
        # pydantic says so when a model uses Pydantic 1 names ("orm_mode has been renamed").
        return _is_answer_file(warning.filename) or "/pydantic/" in warning.filename
    deprecation = category in _DEPRECATION_CATEGORIES or "Deprecat" in category
    if not deprecation:
        return False
    # pydantic and FastAPI point their warnings at the caller; pydantic's class-based config
    # warning points into pydantic itself.
    return _is_answer_file(warning.filename) or warning.category_module.startswith(
        ("pydantic", "fastapi")
    )


def _warning_row(warning: Any) -> CheckResult:
    never_awaited = "never awaited" in warning.message
    if never_awaited:
        name, rule_text, hint = _NEVER_AWAITED
    elif warning.category in _DEPRECATION_CATEGORIES or "Deprecat" in warning.category:
        name, rule_text, hint = _DEPRECATED
    else:
        name, rule_text, hint = _LIBRARY_WARNING
    where = f"line {warning.line}: " if _is_answer_file(warning.filename) and warning.line else ""
    return CheckResult(
        name=name,
        rule="async-5" if never_awaited else warning.category,
        rule_text=rule_text,
        status="failed",
        message=f"{where}{warning.category}: {' '.join(warning.message.split())}",
        hint=hint,
        kind="warnings",
        evidence="reported",
    )
