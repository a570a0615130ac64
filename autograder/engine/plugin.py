"""The pytest plugin that hands checks their evidence and turns outcomes into check rows.

Fixtures (session scope; ``autograder.engine.checkkit`` documents them for check authors):

- ``learner_client``: HTTP to the learner's app, in its own process (``AnswerClient``)
- ``learner_source``: the answer's source text, for checks that read it
- ``learner_contract``: the OpenAPI document the learner's app serves, parsed
- ``learner_report``: what the answer process reported (detail for messages, never a verdict)
- ``learner_services``: the fake upstream services the learner's app talks to, and what they saw
- ``reference``, ``reference_app``, ``reference_client``, ``reference_contract``,
  ``reference_services``: the same for the reference, which is trusted and runs in the checks' own
  process (hidden checks only)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from autograder.engine.checkkit import CheckFailed, require, show
from autograder.engine.clients import AnswerClient, AnswerGone, CheckTimeout, InProcessClient
from autograder.engine.results import CheckResult
from workbook.upstreams import FakeServices

if TYPE_CHECKING:
    from autograder.engine.runner import Evidence

LEARNER_FAULTS = (CheckFailed, CheckTimeout, AnswerGone)


class CheckPlugin:
    """One check run: what is checked, and the rows its checks produce."""

    def __init__(self, evidence: Evidence) -> None:
        self.evidence = evidence
        self.rows: list[CheckResult] = []

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
        exercise = self.evidence.exercise
        marker = item.get_closest_marker("rule")
        item_id = marker.kwargs.get("item", "") if marker else ""
        # A row's own hint speaks to what it observed (every check declares one; a test says
        # so), never the exercise's first hint tier.
        hint = marker.kwargs.get("hint", "") if marker else ""
        function = getattr(item, "function", None)
        doc = (getattr(function, "__doc__", None) or "").strip().splitlines()
        name = doc[0] if doc else item.name.removeprefix("test_").replace("_", " ")
        row = CheckResult(
            name=name,
            rule=item_id,
            rule_text=self.evidence.registry.catalog.get(item_id, ""),
            status="passed",
            hint=hint,
            hidden=item.path == exercise.hidden_checks_path,
        )
        if call.excinfo is None:
            return row
        row.status = "failed"
        error = _first_leaf(call.excinfo.value)
        if isinstance(error, LEARNER_FAULTS):
            row.message = str(error)
        elif isinstance(error, pytest.fail.Exception):
            row.message = error.msg
        else:
            # The answer runs in another process: anything raised here is the check's fault.
            row.message = (
                "The check itself failed, not your code (please report this): "
                f"{type(error).__name__}: {error}"
            )
            row.hint = "Run the check again; if it fails the same way, report it."
        if isinstance(error, AnswerGone | CheckTimeout):
            row.hint = "Make the app keep answering: look at what the request runs."
        # Hypothesis's "Falsifying example" notes repeat the request the message names already;
        # they stay in the traceback, shown on request.
        notes = [n for n in getattr(error, "__notes__", ()) if n.startswith("Falsifying")]
        if notes:
            row.traceback = "\n".join(notes)
        return row


RUN = pytest.StashKey[CheckPlugin]()


def _evidence(request: pytest.FixtureRequest) -> Evidence:
    return request.config.stash[RUN].evidence


# --- fixtures: module-level, as pytest wants session fixtures; the run supplies their data ---


@pytest.fixture(scope="session")
def learner_client(request: pytest.FixtureRequest) -> Iterator[AnswerClient]:
    evidence = _evidence(request)
    client = AnswerClient(str(evidence.answer.socket_path), evidence.report)
    yield client
    client.close()


@pytest.fixture(scope="session")
def learner_source(request: pytest.FixtureRequest) -> str:
    return _evidence(request).source


@pytest.fixture(scope="session")
def learner_report(request: pytest.FixtureRequest) -> Any:
    return _evidence(request).report


@pytest.fixture(scope="session")
def learner_services(request: pytest.FixtureRequest) -> FakeServices:
    return _evidence(request).learner_services


@pytest.fixture(scope="session")
def learner_contract(learner_client: AnswerClient) -> dict[str, Any]:
    response = learner_client.openapi()
    require(
        response.status_code == 200,
        f"GET /openapi.json answered {show(response)}: the app must serve its OpenAPI "
        "document there, as FastAPI does unless told otherwise.",
    )
    document = response.json()
    require(isinstance(document, dict), "GET /openapi.json did not answer a JSON object.")
    return document


@pytest.fixture(scope="session")
def reference(request: pytest.FixtureRequest) -> Any:
    module = _evidence(request).reference
    if module is None:
        pytest.fail("hidden checks need the reference; run them with hidden=True")
    return module


@pytest.fixture(scope="session")
def reference_app(reference: Any) -> Any:
    return reference.app


@pytest.fixture(scope="session")
def reference_client(reference_app: Any) -> Iterator[InProcessClient]:
    client = InProcessClient(reference_app).start()
    yield client
    client.close()


@pytest.fixture(scope="session")
def reference_contract(reference_app: Any) -> dict[str, Any]:
    return reference_app.openapi()


@pytest.fixture(scope="session")
def reference_services() -> FakeServices:
    """The services the reference talks to: this process's own (``workbook.upstreams``)."""
    from workbook.upstreams import _local_services

    return _local_services()


def _first_leaf(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error
