"""What check modules import: rule markers, failure messages, timing and contract helpers.

A check is a pytest test function marked with the catalog item it enforces::

    @rule("async-1", hint="await asyncio.sleep instead of time.sleep")
    def test_report_does_not_block(learner_client):
        learner_client.get("/reports/7")

A check fails by calling ``fail("what was observed")``. Its evidence must come from where the
answer cannot reach: ``learner_client`` (HTTP to the learner's app, in a process of its own),
``learner_source`` (the answer's text), ``learner_contract`` (its OpenAPI document, over HTTP),
``learner_services`` (the fake upstreams it talks to, and what they saw), and timing measured
here. ``learner_report`` (what the answer process says about itself) may only add detail to a
message. Hidden checks also get ``reference``, ``reference_app``, ``reference_client`` and
``reference_services``. The fixtures come from ``autograder.engine.plugin``.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import timeit
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest

from autograder.engine import source_rules, starvation
from autograder.engine.report import AnswerReport
from autograder.engine.starvation import MachineStarved, Window

F = TypeVar("F", bound=Callable[..., Any])


class CheckFailed(Exception):
    """Raised by ``fail``: the message is the whole report, no traceback needed."""


def rule(item: str, *, hint: str = "", evidence: str = "trusted") -> Callable[[F], F]:
    """Mark a check with the catalog item it enforces and, optionally, its own next hint.

    ``evidence="reported"`` marks a check that decides on what the answer's process reported
    (``learner_report``): its row says so, and trusted-only runs discount it.
    """
    return pytest.mark.rule(item=item, hint=hint, evidence=evidence)  # type: ignore[return-value]


def fail(observed: str) -> None:
    # `from None`: a failure raised while handling an app crash would otherwise drag the
    # crash's long chained traceback into pytest's report, which is slow and says nothing more.
    raise CheckFailed(observed) from None


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and its noun, singular for one: "1 connection", "3 connections"."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def require(condition: object, observed: str) -> None:
    if not condition:
        raise CheckFailed(observed) from None


# --- HTTP helpers -----------------------------------------------------------------------------


def body_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text


def brief(value: Any, limit: int = 160) -> str:
    """A value as JSON for a message, cut short when generated inputs make it long."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}… ({len(text) - limit + 1} more characters)"


def show(response: httpx.Response) -> str:
    """A short, readable account of a response for a failure message."""
    shown = f"{response.status_code} {brief(body_of(response), 300)}"
    error = response.extensions.get("workbook_error")
    if error is not None:
        where = f" at line {error.line}: {error.code}" if error.line else ""
        message = error.message
        if error.type == "ValidationError":
            message = validation_error_text(message)
        shown += f" (your app raised {error.type}: {message}{where})"
    return shown


_PYDANTIC_ERROR = re.compile(
    r"^(?P<msg>.*?) \[type=[^,\]]+(?:, input_value=(?P<value>.*), input_type=[^\]]*)?\]$"
)


def validation_error_text(message: str) -> str:
    """Pydantic's ``str(ValidationError)`` with one line per error, ``loc: msg``, and no URL.

    Pydantic writes each error's location and message on two lines, then a line of "For further
    information visit https://errors.pydantic.dev/…"; set in a sentence, that reads as noise. A
    single error then fits on the title's line. A message in any other shape is left as it is.
    """
    title, *rest = message.splitlines() or [""]
    if "validation error" not in title or not rest:
        return message
    errors: list[str] = []
    location = ""
    for line in rest:
        if line.startswith("    "):  # "For further information visit ...": the URL line
            continue
        if not line.startswith("  "):  # a location: "display_name", "items.0.price"
            location = line.strip()
            continue
        shape = _PYDANTIC_ERROR.match(line.strip())
        said = shape["msg"] if shape else line.strip()
        if shape and shape["value"] is not None:
            said += f" (input: {shape['value']})"
        errors.append(f"{location}: {said}" if location else said)
        location = ""
    if not errors:
        return message
    if len(errors) == 1:
        return f"{title}: {errors[0]}"
    return "\n".join([f"{title}:", *(f"  {each}" for each in errors)])


def expect_status(response: httpx.Response, expected: int, request_line: str) -> None:
    require(
        response.status_code == expected,
        f"{request_line} answered {show(response)}; expected status {expected}.",
    )


def ask_both(
    learner: Any, reference: Any, method: str, url: str, **kwargs: Any
) -> tuple[httpx.Response, httpx.Response]:
    """Send one request to the learner's app and the same to the reference; return both answers.

    ``learner`` and ``reference`` are the ``learner_client`` and ``reference_client`` fixtures.
    """
    return learner.request(method, url, **kwargs), reference.request(method, url, **kwargs)


def same_answer(
    learner: httpx.Response,
    reference: httpx.Response,
    request_line: str,
    *,
    compare_body: bool = True,
    ignore_keys: Iterable[str] = (),
) -> None:
    """Fail unless both apps answered the request with the same status (and body)."""
    if learner.status_code != reference.status_code:
        fail(
            f"{request_line}: your app answered {show(learner)}, "
            f"the reference answered {show(reference)}."
        )
    if not compare_body:
        return
    if learner.status_code == 422 and reference.status_code == 422:
        # Message wording may differ; which fields were rejected may not.
        learner_locs = _error_locations(body_of(learner))
        reference_locs = _error_locations(body_of(reference))
        require(
            learner_locs == reference_locs,
            f"{request_line}: your app rejected {sorted(learner_locs)}, "
            f"the reference rejected {sorted(reference_locs)}.",
        )
        return
    ignored = set(ignore_keys)
    if _strip(body_of(learner), ignored) != _strip(body_of(reference), ignored):
        fail(f"{request_line}: your app answered {show(learner)}, the reference {show(reference)}.")


def _error_locations(body: Any) -> set[tuple[str, ...]]:
    if not isinstance(body, dict) or not isinstance(body.get("detail"), list):
        return set()
    return {tuple(str(part) for part in error.get("loc", ())) for error in body["detail"]}


def _strip(value: Any, ignored: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v, ignored) for k, v in value.items() if k not in ignored}
    if isinstance(value, list):
        return [_strip(v, ignored) for v in value]
    return value


@contextlib.contextmanager
def reference_copies(reference: Any, count: int = 2) -> Iterator[dict[str, Any]]:
    """``count`` apps from the reference's own ``create_app()``, each with a client, keyed
    "1", "2", ... as the learner's copies are picked (``APP_CHOICE_HEADER``)."""
    from autograder.engine.clients import InProcessClient

    clients = {str(n): InProcessClient(reference.create_app()).start() for n in range(1, count + 1)}
    try:
        yield clients
    finally:
        for client in clients.values():
            client.close()


# --- the event loop, timed from outside --------------------------------------------------------

# A blocked loop serves requests one after another: N requests take N times as long as one
# (measured: 0.9 to 1.1 of N singles). A free loop overlaps them (measured: 0.1 to 0.65 of N
# singles on a loaded two-core machine). "Serialised" means the burst took more than 0.7 of N
# singles; a blocked loop cannot get below that however quiet the machine is, so the best of a
# few tries decides, and a try is repeated only where noise could explain it: near the limit, or
# far above what a blocked loop takes (a busy machine stalled the whole burst: seen in CI, 10
# requests of 12 ms taking 490 ms).
#
# Where the requests wait for a fake service, that service is a second witness which CPU noise
# cannot fool: on a busy machine a free loop's burst can take as long as N singles (seen in CI:
# 20 requests of 13 ms in 243 ms, where each single is mostly CPU), yet the service saw several
# of them waiting at once. A blocked loop never lets it see two.
SERIAL_SHARE = 0.7
CLEARLY_SERIAL_SHARE = 0.85
NOISY_SHARE = 1.5
NOISE_SECONDS = 0.05
# A loop stalled for most of a request (and longer than scheduling noise) was held by it.
STALL_SHARE = 0.5
STALL_NOISE_SECONDS = 0.02


@dataclass(frozen=True)
class UpstreamWitness:
    """The fake service a burst's requests wait for, as a witness of overlap."""

    name: str  # "the profile service"
    observed: Any  # workbook.upstreams.Observed
    # Where the line does not tell the burst's requests apart (every stream asks the model at
    # the same URL): the subjects the burst sent, unguessable, so decoys do not count.
    subjects: frozenset[str] | None = None


@dataclass
class Overlap:
    count: int
    single: float  # the fastest of a few single requests, in seconds
    together: float  # the fastest burst of ``count`` requests sent at once
    statuses: list[int]
    failed: httpx.Response | None = None  # the first answer that was a server error
    upstream: str = ""  # the witness's name, where there is one
    upstream_in_flight: int | None = None  # the most it served at once during the burst
    # The single less what the checks waited for a CPU while timing it, and what they waited
    # during the burst (see autograder.engine.starvation); none where nothing was measured.
    single_floor: float | None = None
    waited: float = 0.0
    # Why the timing decides nothing (every try starved: see autograder.engine.starvation).
    inconclusive: str = ""

    @property
    def timed_serially(self) -> bool:
        return self.together > self._limit(self.single)

    def _limit(self, single: float) -> float:
        return max(SERIAL_SHARE * self.count * single, single + NOISE_SECONDS)

    @property
    def _witnessed(self) -> bool:
        return self.upstream_in_flight is not None and self.upstream_in_flight >= 2

    @property
    def surely_serial(self) -> bool:
        """Serial even if every wait of the checks for a CPU lengthened the burst."""
        return not self._witnessed and self.together - self.waited > self._limit(self.single)

    @property
    def surely_free(self) -> bool:
        """Overlapped even if every wait of the checks lengthened the singles."""
        floor = self.single if self.single_floor is None else self.single_floor
        return self._witnessed or self.together <= self._limit(floor)

    @property
    def serialised(self) -> bool:
        witnessed = self.upstream_in_flight is not None and self.upstream_in_flight >= 2
        return self.timed_serially and not witnessed

    def describe(self, what: str) -> str:
        seen = ""
        if self.upstream_in_flight is not None:
            seen = (
                f" {self.upstream[:1].upper()}{self.upstream[1:]} never had two of them in "
                "flight at once."
            )
        return (
            f"{self.count} {what} sent at once took {self.together * 1000:.0f} ms; one alone "
            f"takes {self.single * 1000:.0f} ms.{seen} They were served one after another: "
            "while one waited, the event loop could not start the next."
        )


def _clearly_serial(overlap: Overlap) -> bool:
    n_singles = overlap.count * overlap.single
    return CLEARLY_SERIAL_SHARE * n_singles <= overlap.together <= NOISY_SHARE * n_singles


def measure_overlap(
    client: Any,
    requests: Sequence[tuple[str, str, dict[str, Any]]],
    *,
    fresh: Callable[[], tuple[str, str, dict[str, Any]]] | None = None,
    upstream: UpstreamWitness | None = None,
    tries: int = 4,
) -> Overlap:
    """Time single requests and all of ``requests`` at once, from outside the answer.

    ``fresh`` makes a request no cache has seen: where the app caches, singles and repeated
    bursts must not be answered from its cache. ``upstream`` is the fake service the requests
    wait for: what it saw in flight during each burst is evidence too.
    """
    # What the checks' thread waited for a CPU is time the answer never had (starvation.py):
    # taken off a single, it gives the most the request can cost; taken off a burst, the least
    # the burst can have taken. Each verdict is asked of the numbers that make it hardest.
    singles: list[Window] = []
    for _ in range(3):
        method, url, kwargs = fresh() if fresh else requests[0]
        with Window.open() as window:
            client.request(method, url, **kwargs)
        singles.append(window)
    best: Overlap | None = None
    burst = list(requests)
    clean_tries = starved_tries = 0
    while clean_tries < tries:
        burst_started = time.monotonic()
        with Window.open() as window:
            timed, wall = client.concurrently(burst)
        statuses = [t.response.status_code for t in timed]
        failed = next((t.response for t in timed if t.response.status_code >= 500), None)
        single = min(s.seconds for s in singles)
        single_floor = min(s.seconds - s.waited for s in singles)
        overlap = Overlap(len(burst), single, wall, statuses, failed)
        overlap.single_floor, overlap.waited = single_floor, window.waited
        if upstream is not None:
            overlap.upstream = upstream.name
            overlap.upstream_in_flight = upstream.observed.most_in_flight(
                since=burst_started, subjects=upstream.subjects
            )
        if failed is not None:
            return overlap  # timing says nothing about requests that fail
        if overlap.surely_free:
            return overlap
        if not overlap.surely_serial:
            # Free or serial depending on whether the machine's wait is counted: no evidence
            # either way. Singles and burst again, a bounded few times.
            starved_tries += 1
            if starved_tries > starvation.STARVED_RETRIES:
                break
            starvation.pause()
            for _ in range(3):
                method, url, kwargs = fresh() if fresh else requests[0]
                with Window.open() as single_window:
                    client.request(method, url, **kwargs)
                singles.append(single_window)
            if fresh is not None:
                burst = [fresh() for _ in requests]
            continue
        clean_tries += 1
        if best is None or overlap.together < best.together:
            best = overlap
        # Another try only where noise could explain it: a free loop never comes close to N
        # singles, a blocked one never gets far below, and neither goes far above on its own.
        if _clearly_serial(best):
            break
        if fresh is not None:
            burst = [fresh() for _ in requests]
    if best is None:  # every try was undecided
        overlap.inconclusive = starvation.describe(window.waited, window.seconds, starved_tries)
        return overlap
    return best


def expect_overlap(
    client: Any,
    requests: Sequence[tuple[str, str, dict[str, Any]]],
    what: str,
    *,
    fresh: Callable[[], tuple[str, str, dict[str, Any]]] | None = None,
    upstream: UpstreamWitness | None = None,
    headline: str = "",
    why: str | Callable[[], str] = "",
) -> Overlap:
    """Fail unless ``requests`` sent at once all succeed and are served together.

    The message is ``headline`` (``GET /reports/{id} blocked the event loop``), what was
    measured, then ``why``. Where the checks' wait for a CPU left every try undecided, the
    row is inconclusive: ``MachineStarved``, neither a pass nor a failure.
    """
    overlap = measure_overlap(client, requests, fresh=fresh, upstream=upstream)
    if overlap.failed is not None:
        fail(f"{len(requests)} {what} sent at once: one answered {show(overlap.failed)}.")
    if overlap.inconclusive:
        raise MachineStarved(overlap.inconclusive)
    if overlap.serialised:
        explained = why() if callable(why) else why  # asked only once the stall is measured
        fail((f"{headline}: " if headline else "") + overlap.describe(what) + explained)
    return overlap


def loop_stall(
    client: Any, method: str, url: str, *, tries: int = 3, **kwargs: Any
) -> tuple[httpx.Response, float, float]:
    """One request while the loop is probed from outside: (response, longest stall, duration).

    A stall gets another try, up to ``tries``: a blocked loop stalls every time, a free one
    only when the machine stalled the whole process (seen once in 60 notebook runs on a busy
    machine). The try that stalled least is returned. What the checks waited for a CPU may
    lengthen both the stall and the request: a try is a stall only if it stalls with the wait
    taken off the stall, and free only if it is free with the wait taken off the request. A try
    that is neither gets a few more; where every try was, ``MachineStarved``.
    """
    client.request(method, url, **kwargs)  # first-call costs (imports, caches) are not the work
    best: tuple[httpx.Response, float, float] | None = None
    clean_tries = starved_tries = 0
    while clean_tries < tries:
        with Window.open() as window:
            response, stall, seconds = client.loop_lag_during(method, url, **kwargs)
        if response.status_code >= 500 or not stalled(stall, seconds - window.waited):
            return response, stall, seconds
        if not stalled(stall - window.waited, seconds):
            starved_tries += 1
            if starved_tries > starvation.STARVED_RETRIES:
                break
            starvation.pause()
            continue
        clean_tries += 1
        if best is None or stall / max(seconds, 1e-9) < best[1] / max(best[2], 1e-9):
            best = (response, stall, seconds)
    if best is None:
        raise MachineStarved(starvation.describe(window.waited, window.seconds, starved_tries))
    return best


def stalled(stall: float, seconds: float) -> bool:
    return stall > STALL_NOISE_SECONDS and stall > STALL_SHARE * seconds


# --- what a request costs -------------------------------------------------------------------------
#
# The fastest of a few, not the median: a busy machine only ever adds time, so the fastest is the
# closest to what the request itself costs. A yardstick is never measured inside the answer's
# process: an answer can slow down anything it serves (the host's own probe included), and a
# slow yardstick would make its slow request look cheap. It is the reference, served in a sandbox
# of its own, or work timed here, in the checks' process.


def fastest_answer(
    client: Any, method: str, url: str, samples: int = 15, *, less_waits: bool = True, **kwargs: Any
) -> float:
    """The fastest of ``samples`` requests ``method url``, in seconds, timed here.

    ``less_waits=False`` for a lower bound (an answer at least this slow): the wall time as it
    is, since this thread's wait for a CPU after the answer arrived lies inside the request's
    time, and taken off it would make a correct answer look faster than it is."""
    client.request(method, url, **kwargs)  # first-call costs (imports, caches) are not the work
    return fastest_call(lambda: client.request(method, url, **kwargs), samples, less_waits)


def fastest_side_by_side(
    mine: Any, theirs: Any, method: str, url: str, samples: int = 15
) -> tuple[float, float]:
    """The fastest ``method url`` from two apps, their requests interleaved so that both see
    the same machine: (mine, theirs), in seconds."""
    for client in (mine, theirs):
        client.request(method, url)
    mine_seconds, theirs_seconds = fastest_in_turns(
        [lambda: mine.request(method, url), lambda: theirs.request(method, url)], samples
    )
    return mine_seconds, theirs_seconds


def fastest_call(work: Callable[[], object], samples: int = 5, less_waits: bool = True) -> float:
    """The fastest of ``samples`` calls of ``work``, here in the checks' process: a yardstick
    the answer cannot reach."""
    return fastest_in_turns([work], samples, less_waits)[0]


def fastest_in_turns(
    works: Sequence[Callable[[], object]], samples: int, less_waits: bool = True
) -> list[float]:
    """The fastest of ``samples`` calls of each of ``works``, called in turns so that a busy
    moment of the machine falls on all of them, in seconds.

    timeit, because it times a call with the garbage collector paused: a yardstick that
    allocates (parsing a catalogue) would otherwise pay for collecting the whole heap of a
    long-lived checks' process, and look slower than the same work in a fresh answer process.

    Each call's time is taken less what this thread waited for a CPU meanwhile (see
    starvation.py): the wait is never the work's. For a yardstick timed here, that leaves its
    own cost; for a request, the answer's part and more (the checks' thread is not runnable
    while the answer works, so no wait covers any of it). A busy machine, or an answer that
    keeps a CPU busy after it answers, then neither slows the yardstick nor the request.
    """
    fastest = [float("inf")] * len(works)
    for _ in range(samples):
        for index, work in enumerate(works):
            with Window.open() as window:
                seconds = timeit.Timer(work).timeit(number=1)
            waited = window.waited if less_waits else 0.0
            fastest[index] = min(fastest[index], max(0.0, seconds - waited))
    return fastest


# --- what an app leaves open, counted by the fake services ---------------------------------------

# Closes happen during the lifespan runs, before the app serves; the service hears of them a
# few milliseconds later.
SETTLE_SECONDS = 0.3


def connections_left_open(
    start_learner_app: Callable[..., Any],
    services: Any,
    service: str,
    *,
    runs: int,
    path: str,
) -> tuple[int, int]:
    """Start the learner's app once more, its lifespan first run ``runs`` times with one
    GET ``path`` each; return (connections it opened to ``service``, how many are still open)."""
    observed = services.observed[service]
    opened_before, closed_before = observed.connections, observed.closed
    app = start_learner_app(lifespan_cycles={"count": runs, "path": path})
    opened = observed.connections - opened_before
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline and opened - (observed.closed - closed_before) > 0:
        time.sleep(0.02)
    still_open = opened - (observed.closed - closed_before)
    app.stop()
    return opened, still_open


# --- what the answer's process reported, for messages only ---------------------------------------


BLOCKING_SEEN = "The blocking call, as your app's process saw it:"


def reported_blocking(report: AnswerReport, request_prefix: str = "", wait: float = 0.0) -> str:
    """The answer's own account of a blocking call, to explain a stall measured from outside.

    ``wait``: how long to let the report catch up, for a caller that asks only once a stall was
    measured (the event is sent as the call happens, and read here a moment later); without
    it, whether the message quotes the call depends on the machine's load.
    """
    if wait:
        report.wait_until(lambda: bool(report.blocking_during(request_prefix)), wait)
    found = report.blocking_during(request_prefix) or report.blocking
    if not found:
        return ""
    event = found[0]
    function = event.call.rsplit(".", 1)[-1]
    if not event.code or function in event.code:
        return f"\n{BLOCKING_SEEN} `{event.call}` {event.origin}."
    # A library's call deep inside: name the learner's own call first (requests.get), then
    # what waited inside it (socket.socket.connect).
    return (
        f"\n{BLOCKING_SEEN} `{event.code}` {event.origin}; deep inside it, `{event.call}` waited."
    )


# --- contract helpers: the OpenAPI document, and the source ---------------------------------------


def operation_of(contract: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The operation ``method path`` of an OpenAPI document; fails naming what is declared."""
    operation = contract.get("paths", {}).get(path, {}).get(method.lower())
    if isinstance(operation, dict):
        return operation
    declared = sorted(
        f"{m.upper()} {p}"
        for p, operations in contract.get("paths", {}).items()
        for m in (operations if isinstance(operations, dict) else {})
    )
    listed = ", ".join(declared) or "none"
    fail(f"No operation {method.upper()} {path} is declared. Declared: {listed}.")
    raise AssertionError("unreachable")


def resolve(contract: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its ``$ref`` followed (one level, as FastAPI writes them)."""
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[-1]
        return contract.get("components", {}).get("schemas", {}).get(name, {})
    return schema


def response_schema(
    contract: dict[str, Any], method: str, path: str, status: str
) -> dict[str, Any]:
    operation = operation_of(contract, method, path)
    content = operation.get("responses", {}).get(status, {}).get("content", {})
    return content.get("application/json", {}).get("schema", {})


def is_model_schema(contract: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A named object schema with declared properties: what a Pydantic model documents."""
    resolved = resolve(contract, schema)
    return (
        "$ref" in schema and resolved.get("type") == "object" and bool(resolved.get("properties"))
    )


def endpoint_in(source: str, method: str, path: str) -> source_rules.Endpoint | None:
    """How the answer's source declares ``method path`` (``async def`` or ``def``), if it does."""
    for found in source_rules.endpoints(source):
        if found.method == method.upper() and found.path == path:
            return found
    return None


# --- what a route asks for, read from the code -------------------------------------------------


def _defines(source: str, name: str) -> bool:
    """Whether the code binds ``name`` anywhere (source_rules' reading of bindings); code that
    does not parse counts as defining it (the message then stays the general one)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return True
    return any(name in source_rules._bound_names(node) for node in ast.walk(tree))


def expect_routes_ask_for(source: str, dependency: str, routes: Sequence[tuple[str, str]]) -> None:
    """Fail unless each of ``routes`` reaches ``dependency`` through FastAPI's dependencies.

    An override check sees what the app does with a dependency replaced, but that happens in
    the answer's own process, where an answer could imitate it; whether each route asks for the
    dependency at all is read from the code, here. Where the code does not show it plainly (a
    route the reading cannot place, a dependency it cannot follow), this passes and the
    behaviour decides: a correct answer is never failed for being hard to read.
    """
    from autograder.engine import source_rules

    for method, path in routes:
        reading = source_rules.route_dependencies(source, method, path)
        # Where the reading cannot place the route or follow a dependency, it decides nothing:
        # the behaviour with the dependency overridden (the rest of the row) decides alone.
        if reading is None or reading.asks_for(dependency) is None:
            continue
        if not reading.asks_for(dependency) and not _defines(source, dependency):
            raise CheckFailed(
                f"Your code has no `{dependency}` yet, so `{method} {path}` cannot ask for it. "
                f"Write `{dependency}` (the lesson shows it) and ask for it in every route "
                f"with `Depends`: only then can `app.dependency_overrides[{dependency}]` "
                "replace it."
            )
        require(
            reading.asks_for(dependency),
            f"`{method} {path}` does not ask for `{dependency}`: not in its parameters (directly, "
            "through an `Annotated` alias or through another dependency), not in its "
            "decorator's or its router's `dependencies`. Only what a route asks for with "
            f"`Depends` can be replaced by `app.dependency_overrides[{dependency}]`.",
        )
