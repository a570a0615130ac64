"""The pytest plugin that hands checks their fixtures and turns outcomes into check rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from autograder.engine import loading as learner_code
from autograder.engine.checkkit import CheckFailed, learner_app_of
from autograder.engine.driver import AppClient, BlockedEventLoop, CheckTimeout
from autograder.engine.results import CheckResult
from autograder.registry import Exercise, Registry


class CheckPlugin:
    """One check run: what is checked, and the rows its checks produce."""

    def __init__(
        self,
        exercise: Exercise,
        registry: Registry,
        learner: learner_code.LoadedCode,
        reference: learner_code.LoadedCode | None,
    ) -> None:
        self.exercise = exercise
        self.registry = registry
        self.loaded_learner = learner
        self.loaded_reference = reference
        self.rows: list[CheckResult] = []

    # --- hooks ------------------------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[RUN] = self

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        failed_in_setup = call.when == "setup" and call.excinfo is not None
        if call.when == "call" or failed_in_setup:
            self.rows.append(self._row(item, call))
        return report

    def _row(self, item: pytest.Item, call: pytest.CallInfo[None]) -> CheckResult:
        marker = item.get_closest_marker("rule")
        item_id = marker.kwargs.get("item", "") if marker else ""
        hint = (marker.kwargs.get("hint") if marker else "") or self.exercise.hints[0]
        function = getattr(item, "function", None)
        doc = (getattr(function, "__doc__", None) or "").strip().splitlines()
        name = doc[0] if doc else item.name.removeprefix("test_").replace("_", " ")
        row = CheckResult(
            name=name,
            rule=item_id,
            rule_text=self.registry.catalog.get(item_id, ""),
            status="passed",
            hint=hint,
            hidden=item.path == self.exercise.hidden_checks_path,
        )
        if call.excinfo is not None:
            row.status = "failed"
            error = _first_leaf(call.excinfo.value)
            row.message = self._explain(error)
            if not isinstance(error, CheckFailed | BlockedEventLoop | CheckTimeout):
                # An exception, not a wrong answer: the exercise's hint would be beside the point.
                row.hint = (
                    "Fix this exception first; "
                    f'check("{self.exercise.id}", traceback=True) shows the full traceback.'
                )
            row.traceback = learner_code.format_traceback(error)
        return row

    def _raised_in_check_code(self, error: BaseException) -> bool:
        """True when the learner's code is nowhere in the traceback and a check file raised."""
        filename = self.loaded_learner.filename
        if learner_code.innermost_frame_in(error.__traceback__, filename) is not None:
            return False
        innermost = _innermost_filename(error)
        checks = {str(self.exercise.checks_path), str(self.exercise.hidden_checks_path)}
        return innermost in checks

    def _explain(self, error: BaseException) -> str:
        if isinstance(error, CheckFailed | BlockedEventLoop | CheckTimeout):
            text = str(error)
        elif isinstance(error, pytest.fail.Exception):
            text = error.msg
        elif self._raised_in_check_code(error):
            text = (
                "The check itself failed, not your code (please report this): "
                + learner_code.describe_error(error, self.loaded_learner.filename)
            )
        else:
            text = "Your code raised " + learner_code.describe_error(
                error, self.loaded_learner.filename
            )
        notes = [n for n in getattr(error, "__notes__", ()) if n.startswith("Falsifying")]
        if notes:
            text += "\n" + "\n".join(notes)
        return text


RUN = pytest.StashKey[CheckPlugin]()


def _run(request: pytest.FixtureRequest) -> CheckPlugin:
    return request.config.stash[RUN]


# --- fixtures: module-level, as pytest wants session fixtures; the run supplies their data ---


@pytest.fixture(scope="session")
def learner(request: pytest.FixtureRequest) -> Any:
    return _run(request).loaded_learner.module


@pytest.fixture(scope="session")
def reference(request: pytest.FixtureRequest) -> Any:
    loaded = _run(request).loaded_reference
    if loaded is None:
        pytest.fail("hidden checks need the reference; run them with hidden=True")
    return loaded.module


@pytest.fixture(scope="session")
def learner_app(learner: Any) -> Any:
    return learner_app_of(learner)


@pytest.fixture(scope="session")
def reference_app(reference: Any) -> Any:
    return reference.app


@pytest.fixture(scope="session")
def learner_client(learner: Any, learner_app: Any) -> Iterator[AppClient]:
    # Started here, so that no check times the app's start-up as part of its first request.
    client = AppClient(learner_app, scanned=learner).start()
    yield client
    client.close()


@pytest.fixture(scope="session")
def reference_client(reference: Any, reference_app: Any) -> Iterator[AppClient]:
    client = AppClient(reference_app, scanned=reference).start()
    yield client
    client.close()


def _innermost_filename(error: BaseException) -> str:
    tb = error.__traceback__
    filename = ""
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return filename


def _first_leaf(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error
