"""The pytest plugin that hands checks their evidence and turns outcomes into check rows.

Fixtures (session scope; ``autograder.engine.checkkit`` documents them for check authors):

- ``learner_client``: HTTP to the learner's app, in its own process (``AnswerClient``; for an
  exercise served over TCP a ``TcpAnswerClient``, whose ``peer(address)`` connects from another
  loopback address)
- ``learner_source``: the answer's source text, for checks that read it
- ``learner_contract``: the OpenAPI document the learner's app serves, parsed
- ``learner_report``: what the answer process reported (detail for messages, never a verdict)
- ``learner_services``: the fake upstream services the learner's app talks to, and what they saw
- ``learner_database``, ``learner_env_file``: the app's own database (exercises with one) and
  the values of the `.env` it started beside; ``start_learner_app``: the same answer started
  again with dependencies overridden, each with a fresh database
- ``reference``, ``reference_app``, ``reference_client``, ``reference_contract``,
  ``reference_services``: the same for the reference, which is trusted and runs in the checks' own
  process (hidden checks only)
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from autograder.engine.checkkit import CheckFailed, fail, require, show, validation_error_text
from autograder.engine.clients import (
    BASE_URL,
    FINGERPRINTED,
    AnswerClient,
    AnswerGone,
    AnswerRefused,
    BoundedAsyncTransport,
    BoundedTransport,
    CheckTimeout,
    InProcessClient,
    fingerprint,
    fingerprint_async,
)
from autograder.engine.results import CheckResult
from autograder.engine.starvation import HINT as STARVED_HINT
from autograder.engine.starvation import INCONCLUSIVE_PREFIX, MachineStarved
from workbook.databases import SHELVES, DatabaseReplaced, LibraryDatabase, create_library
from workbook.upstreams import FakeServices, trusted_services_like

if TYPE_CHECKING:
    from autograder.engine.answers import RunningAnswer
    from autograder.engine.runner import Evidence

LEARNER_FAULTS = (CheckFailed, CheckTimeout, AnswerGone, AnswerRefused, DatabaseReplaced)
ANOTHER_START_TIMEOUT_SECONDS = 20.0
STOP_GRACE_SECONDS = 3.0


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
            evidence=marker.kwargs.get("evidence", "trusted") if marker else "trusted",
        )
        if call.excinfo is None:
            return row
        row.status = "failed"
        error = _first_leaf(call.excinfo.value)
        if isinstance(error, MachineStarved):
            # Nobody's fault, and no verdict: the row is decided again (see starvation.py).
            # Marked as such whatever the check wrote: grading finds undecided rows by it.
            message = str(error)
            if not message.startswith(INCONCLUSIVE_PREFIX):
                message = f"{INCONCLUSIVE_PREFIX}: {message}"
            row.status, row.message, row.hint = "error", message, STARVED_HINT
            return row
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
        if isinstance(error, AnswerRefused | DatabaseReplaced):
            row.hint = error.hint
        # Hypothesis's "Falsifying example" notes repeat the request the message names already;
        # they stay in the traceback, shown on request.
        notes = [n for n in getattr(error, "__notes__", ()) if n.startswith("Falsifying")]
        if notes:
            row.traceback = "\n".join(notes)
        return row


RUN = pytest.StashKey[CheckPlugin]()
PROXY_ADDRESS = "127.0.0.1"  # where a TCP-served app's own proxy connects from


class TcpAnswerClient(AnswerClient):
    """``AnswerClient`` for an app served over TCP on loopback (``Exercise.served_over``),
    connecting from ``local_address``: 127.0.0.1 plays a proxy on the app's machine, another
    loopback address (127.0.0.2, ...) a stranger. Requests carry the run's Host, as over a
    Unix socket, unless a check sends its own."""

    def __init__(
        self, url: str, report: Any, *, local_address: str = PROXY_ADDRESS, socket_inode: int = 0
    ) -> None:
        super().__init__("", report, socket_inode=socket_inode)
        self.url, self.local_address = url, local_address
        self._client.close()
        self._client = httpx.Client(
            transport=BoundedTransport(
                httpx.HTTPTransport(local_address=local_address, verify=False)
            ),
            base_url=url,
            headers={**FINGERPRINTED, "Host": httpx.URL(BASE_URL).netloc.decode()},
            event_hooks={"request": [fingerprint]},
            timeout=httpx.Timeout(self.timeout, connect=5.0),
        )
        self._peers: dict[str, TcpAnswerClient] = {}

    def peer(self, local_address: str) -> TcpAnswerClient:
        """A client of the same app connecting from ``local_address`` (one per address, kept
        and closed with this one)."""
        if local_address == self.local_address:
            return self
        if local_address not in self._peers:
            self._peers[local_address] = TcpAnswerClient(
                self.url, self.report, local_address=local_address,
                socket_inode=self.cpu.socket_inode,
            )  # fmt: skip
        return self._peers[local_address]

    def close(self) -> None:
        for client in self._peers.values():
            client.close()
        super().close()

    @contextlib.asynccontextmanager
    async def _async_client(self) -> AsyncIterator[httpx.AsyncClient]:
        transport = BoundedAsyncTransport(
            httpx.AsyncHTTPTransport(local_address=self.local_address, verify=False)
        )
        async with httpx.AsyncClient(
            transport=transport,
            base_url=self.url,
            headers={**FINGERPRINTED, "Host": httpx.URL(BASE_URL).netloc.decode()},
            event_hooks={"request": [fingerprint_async]},
            timeout=self.timeout,
        ) as client:
            yield client


def client_of(answer: RunningAnswer, report: Any = None) -> AnswerClient:
    """The checks' client for a running answer: over its Unix socket, or TCP when it has a URL."""
    report = answer.report if report is None else report
    if answer.url:
        return TcpAnswerClient(answer.url, report, socket_inode=answer.socket_inode)
    return AnswerClient(str(answer.socket_path), report, socket_inode=answer.socket_inode)


def _evidence(request: pytest.FixtureRequest) -> Evidence:
    return request.config.stash[RUN].evidence


# --- fixtures: module-level, as pytest wants session fixtures; the run supplies their data ---


@pytest.fixture(scope="session")
def learner_client(request: pytest.FixtureRequest) -> Iterator[AnswerClient]:
    evidence = _evidence(request)
    client = client_of(evidence.answer, evidence.report)
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
def learner_database(request: pytest.FixtureRequest) -> LibraryDatabase:
    """The learner's app's own database (host side): checks read the rows it left behind."""
    database = _evidence(request).learner_database
    if database is None:
        pytest.fail("this exercise has no database; set `database` in its registry entry")
    return database


@pytest.fixture(scope="session")
def learner_env_file(request: pytest.FixtureRequest) -> dict[str, str]:
    """The values of the `.env` the learner's app started beside (secrets included)."""
    return dict(_evidence(request).env_values)


@dataclass
class StartedApp:
    """The learner's app started again by a check: a client, its database, the other one."""

    client: AnswerClient
    database: LibraryDatabase | None
    other_database: LibraryDatabase | None
    answer: RunningAnswer

    def stop(self) -> str:
        """Stop it as a server stops (its lifespan shut down); what its process ended with."""
        self.client.close()
        self.answer.stop(grace=STOP_GRACE_SECONDS)
        return self.answer.stop_note


class _StartedByChecks:
    """Answers a check starts besides the learner's own: each waited for and given a client,
    and every client closed when the checks end."""

    def __init__(self) -> None:
        self.clients: list[AnswerClient] = []

    def client_for(self, answer: RunningAnswer) -> AnswerClient | None:
        """A client for ``answer`` once it serves; None if it did not start in time."""
        if not answer.wait_until_serving(ANOTHER_START_TIMEOUT_SECONDS):
            return None
        client = client_of(answer)
        self.clients.append(client)
        return client

    def close(self) -> None:
        for client in self.clients:
            client.close()


@pytest.fixture(scope="session")
def start_learner_app(request: pytest.FixtureRequest) -> Iterator[Callable[..., StartedApp]]:
    """Start the learner's app again with some dependencies overridden, as a test would.

    ``start_learner_app({"get_db": {"kind": "session", "url": "{other_database_url}"}})`` starts
    it with its own fresh database, and its sessions replaced by sessions on another database
    (``StartedApp.other_database``). An app that does not start (no dependency of that name, a
    crash) fails the check with what its process said.
    """
    evidence = _evidence(request)
    started = _StartedByChecks()

    def start(
        overrides: dict[str, dict[str, Any]] | None = None,
        lifespan_cycles: dict[str, Any] | None = None,
    ) -> StartedApp:
        answer, database, other = evidence.start_another(overrides, lifespan_cycles)
        client = started.client_for(answer)
        if client is None:
            error = answer.report.load_error
            said = f" It said: {validation_error_text(error.message)}" if error is not None else ""
            replaced = ", ".join(f"`{name}`" for name in overrides or {}) or "nothing"
            fail(f"Your app, started again with {replaced} overridden, did not serve.{said}")
        return StartedApp(client, database, other, answer)

    yield start
    started.close()


@pytest.fixture(scope="session")
def start_reference_app(request: pytest.FixtureRequest) -> Iterator[Callable[[], AnswerClient]]:
    """Serve the reference as the learner's app is served, for timing side by side (hidden
    checks only: it needs the reference)."""
    evidence = _evidence(request)
    started = _StartedByChecks()

    def start() -> AnswerClient:
        client = started.client_for(evidence.start_reference())
        if client is None:
            pytest.fail("the reference, served as an answer, did not start")
        return client

    yield start
    started.close()


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
def reference_database(request: pytest.FixtureRequest) -> Iterator[LibraryDatabase | None]:
    """The reference's own fresh database, when the exercise has one (None otherwise)."""
    shelf = _evidence(request).exercise.database
    if not shelf:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="workbook-reference-"))
    yield create_library(folder / "library.sqlite3", books=SHELVES[shelf])
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def reference_app(
    request: pytest.FixtureRequest,
    reference: Any,
    reference_database: Any,
    reference_services: FakeServices,  # before the reference's lifespan looks its services up
) -> Any:
    app = reference.app
    if reference_database is not None:
        # The reference's settings, as the learner's app gets them: its own database, the .env.
        values = {k.lower(): v for k, v in _evidence(request).env_values.items()}
        values["database_url"] = reference_database.url
        app.dependency_overrides[reference.get_settings] = lambda: reference.Settings(**values)
    return app


@pytest.fixture(scope="session")
def reference_client(reference_app: Any) -> Iterator[InProcessClient]:
    client = InProcessClient(reference_app).start()
    yield client
    client.close()


@pytest.fixture(scope="session")
def reference_contract(reference_app: Any) -> dict[str, Any]:
    return reference_app.openapi()


@pytest.fixture(scope="session")
def reference_services(request: pytest.FixtureRequest) -> Iterator[FakeServices]:
    """The services the reference talks to: a set in this process of its own, answering with
    this run's data, the learner's services' (``workbook.upstreams.trusted_services_like``)."""
    with trusted_services_like(_evidence(request).learner_services) as services:
        yield services


def _first_leaf(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error
