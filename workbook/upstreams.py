"""Fake services outside the app, served by uvicorn where real sockets are the point.

Four services stand in for the outside world an app talks to:

- ``profile``: ``GET /profiles/{user_id}`` returns a user's profile, or 404.
- ``llm``: an OpenAI-compatible ``POST /v1/chat/completions`` that answers deterministically,
  as one JSON document or, with ``"stream": true``, as server-sent events.
- ``geocoder``: a vendor's ``GET /v1/geocode?address=...`` (the legacy SDK in
  ``workbook.fakes`` calls it with a blocking client).
- ``audit``: an audit trail, ``POST /v1/entries`` (``workbook.fakes.AuditLog`` writes to it).

An answer finds each service at ``<name>_service_url()``. Inside an answer process the URL
comes from the environment (``WORKBOOK_UPSTREAM_<NAME>``), set by whoever started it; anywhere
else (a learner's kernel, the reference in the checks' process) the first call starts the
services on 127.0.0.1, once per process.

``FakeServices`` is one set of these services. The checks start a set of their own for the
learner's answer, so that what it observes (connections opened, requests, whether a stream was
relayed while the model was still answering, audit entries) is the answer's doing alone. A set
can also listen on Unix sockets, for answers confined to a sandbox without a network.

What the services answer (profiles, prices, points, the model's replies and weights) is a
``ServiceData``. The checks' sets draw theirs from a secret seed, anew for every run
(``FakeServices.reset``), so the only way an answer learns a price or a weight is to ask the
service, as the check counts; the code of this module, which an answer can import, holds no
seed. The process's own set (``service_url`` outside an answer: the lessons' demos in a
learner's kernel) answers with ``DEMO_DATA``, unsalted and stable, because nothing is graded
on it; while checks run, trusted code in their process (the reference) is pointed at a set
with the run's data instead (``trusted_services_like``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import threading
import time
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import uvicorn
from fastapi import FastAPI, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from uvicorn.protocols.http.h11_impl import H11Protocol

from workbook.host.protocol import upstream_env_name

SERVICES = ("profile", "llm", "geocoder", "audit", "models", "mailer", "pricing", "carrier")
STARTUP_TIMEOUT_SECONDS = 10.0
# A round trip to the profile service's database: long enough that ten requests waiting on it
# one after another (a blocked loop) take visibly longer than ten waiting together.
PROFILE_LATENCY_SECONDS = 0.01
GEOCODER_LATENCY_SECONDS = 0.02  # the vendor's servers answer in about this long
TOKEN_INTERVAL_SECONDS = 0.004  # the fake model "thinks" this long between tokens
KNOWN_USERS = 500  # profiles exist for user ids 1..KNOWN_USERS


# --- what a service observes --------------------------------------------------------------------


@dataclass
class Visit:
    """One request a service served: its line, when it arrived and when it was answered."""

    line: str  # "GET /profiles/3"
    received: float  # time.monotonic()
    finished: float | None = None  # None while it is being served
    # What the request asked about where the line does not say it (the model: the user's
    # message), set by the service while it serves the request.
    subject: str = ""


# The visit being served, for a service's endpoint to note its subject on.
_current_visit: ContextVar[Visit | None] = ContextVar("current_visit", default=None)


@dataclass
class Observed:
    """What one service saw: connections opened and closed, and requests served."""

    connections: int = 0
    closed: int = 0
    requests: list[str] = field(default_factory=list)  # "GET /profiles/3"
    visits: list[Visit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def connection_opened(self) -> None:
        with self.lock:
            self.connections += 1

    def connection_closed(self) -> None:
        with self.lock:
            self.closed += 1

    @property
    def open_connections(self) -> int:
        """Connections a client opened and has not closed yet (a pool it never shut)."""
        with self.lock:
            return max(0, self.connections - self.closed)

    def request(self, line: str) -> Visit:
        visit = Visit(line, received=time.monotonic())
        with self.lock:
            self.requests.append(line)
            self.visits.append(visit)
        return visit

    def most_in_flight(self, since: float, subjects: Collection[str] | None = None) -> int:
        """The most different requests (by line and subject) this service was serving at one
        moment, among those that arrived after ``since`` (and, given ``subjects``, asked about
        one of them).

        Seen from here, an app whose event loop is blocked while it waits for this service
        never has two requests of its own in flight: it cannot start the next until the first
        has been answered. Counting different requests keeps one request that asks the same
        thing twice at once from counting as two; ``subjects`` (unguessable ones the check
        sent) keeps an answer from inventing decoy requests of its own.
        """
        with self.lock:
            visits = [
                visit
                for visit in self.visits
                if visit.received >= since and (subjects is None or visit.subject in subjects)
            ]
        most = 0
        for visit in visits:
            at = visit.received
            asked = {
                (other.line, other.subject)
                for other in visits
                if other.received <= at and (other.finished is None or other.finished > at)
            }
            most = max(most, len(asked))
        return most

    def reset(self) -> None:
        with self.lock:
            self.connections = 0
            self.closed = 0
            self.requests.clear()
            self.visits.clear()


class StreamGate:
    """Holds the next streamed completion after its first token, so a check can watch the relay.

    Between the first token and the rest, the model is "still thinking": an app that relays
    the stream has already sent that token on; an app that collects the whole answer first has
    sent nothing. The gate opens when the check says so, or after ``timeout`` seconds.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.armed = True
        self.first_token_sent = threading.Event()
        self.opened = threading.Event()
        self.timed_out = False

    def open(self) -> None:
        self.opened.set()

    async def hold(self) -> None:
        self.first_token_sent.set()
        deadline = time.monotonic() + self.timeout
        while not self.opened.is_set():
            if time.monotonic() > deadline:
                self.timed_out = True
                self.opened.set()
                break
            await asyncio.sleep(0.002)


@dataclass
class AuditRecord:
    action: str
    subject: str


# --- what the services answer: their data, salted per run ---------------------------------------

_FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia")
_LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Perlman")
_PLANS = ("free", "pro", "team")

# A sentiment model's weights: a word's score, summed over a text. Heavy in real life (hundreds
# of megabytes); here the registry takes its time instead.
_DEMO_SENTIMENT_WEIGHTS = {
    "good": 1.0, "great": 1.5, "love": 2.0, "fine": 0.5, "quick": 0.5,
    "bad": -1.0, "awful": -1.5, "hate": -2.0, "slow": -0.5, "broken": -1.0,
}  # fmt: skip
SENTIMENT_WORDS = tuple(_DEMO_SENTIMENT_WEIGHTS)  # the words the model knows (never salted)
# Salted weights are multiples of 1/64 (exact in binary, so a sum is the same in any order),
# between 1/4 and 4 in size, with the demo weight's sign.
_WEIGHT_STEPS = 64


class UpstreamProfile(BaseModel):
    id: int
    name: str
    plan: Literal["free", "pro", "team"]


@dataclass(frozen=True)
class ServiceData:
    """What the fake services answer, drawn from ``seed``.

    The empty seed gives the demo data, which the lessons' text shows. Any other seed gives
    values that differ from the demo's wherever a check compares them (a profile's name and
    plan, a weight, a reply's closing tag), so an answer that computes the demo's values
    instead of asking the service is wrong, and one that asks is right.
    """

    seed: bytes = b""

    @classmethod
    def salted(cls) -> ServiceData:
        return cls(secrets.token_bytes(16))

    @property
    def is_demo(self) -> bool:
        return not self.seed

    def _digest(self, kind: str, key: str) -> bytes:
        if self.is_demo:
            return hashlib.sha256(key.encode()).digest()
        return hmac.new(self.seed, f"{kind}|{key}".encode(), hashlib.sha256).digest()

    def _choice(self, kind: str, key: str, count: int, avoid: int) -> int:
        """An index below ``count`` drawn from the seed, never ``avoid`` (the demo's)."""
        drawn = int.from_bytes(self._digest(kind, key)[:4]) % (count - 1)
        return drawn + 1 if drawn >= avoid else drawn

    def profile_of(self, user_id: int) -> UpstreamProfile | None:
        """The profile the service holds for ``user_id``, or None when there is none."""
        if not 1 <= user_id <= KNOWN_USERS:
            return None
        first = user_id % len(_FIRST_NAMES)
        last = (user_id // len(_FIRST_NAMES)) % len(_LAST_NAMES)
        plan = user_id % len(_PLANS)
        if not self.is_demo:
            names = len(_FIRST_NAMES) * len(_LAST_NAMES) * len(_PLANS)
            demo = (first * len(_LAST_NAMES) + last) * len(_PLANS) + plan
            drawn = self._choice("profile", str(user_id), names, avoid=demo)
            drawn, plan = divmod(drawn, len(_PLANS))
            first, last = divmod(drawn, len(_LAST_NAMES))
        name = f"{_FIRST_NAMES[first]} {_LAST_NAMES[last]}"
        return UpstreamProfile(id=user_id, name=name, plan=_PLANS[plan])

    def reply_tokens(self, message: str) -> list[str]:
        """What the model answers to ``message``, token by token (a word and its spacing)."""
        reply = f"You said: {message.strip()}" if message.strip() else "You said nothing."
        if not self.is_demo:
            # The model's own closing word, which no answer can write without asking it.
            reply += f" [{self._digest('reply', message).hex()[:10]}]"
        return re.findall(r"\s*\S+\s*", reply) or [reply]

    def geo_point_of(self, address: str) -> tuple[float, float]:
        """Where the vendor places ``address``: the same address always gives the same point."""
        digest = self._digest("geocode", " ".join(address.lower().split()))
        latitude = int.from_bytes(digest[:4]) / 2**32 * 180 - 90
        longitude = int.from_bytes(digest[4:8]) / 2**32 * 360 - 180
        return round(latitude, 6), round(longitude, 6)

    def price_of(self, sku: str, user: str) -> int:
        """The partner's price for ``user``: a list price with that customer's own discount."""
        # The SKU's length first: "a|b" for "c" and "a" for "b|c" are different questions.
        digest = self._digest("price", f"{len(sku)}:{sku}|{user}")
        return 500 + int.from_bytes(digest[:2]) % 5000

    @property
    def sentiment_weights(self) -> dict[str, float]:
        """The sentiment model's weights, as the model registry hands them out."""
        if self.is_demo:
            return dict(_DEMO_SENTIMENT_WEIGHTS)
        weights = {}
        for word, demo in _DEMO_SENTIMENT_WEIGHTS.items():
            sizes = 4 * _WEIGHT_STEPS - _WEIGHT_STEPS // 4 + 1  # 1/4 .. 4 in steps of 1/64
            avoid = int(abs(demo) * _WEIGHT_STEPS) - _WEIGHT_STEPS // 4
            size = self._choice("weight", word, sizes, avoid=avoid) + _WEIGHT_STEPS // 4
            weights[word] = (size if demo > 0 else -size) / _WEIGHT_STEPS
        return weights

    def sentiment_of(self, text: str) -> float:
        """The score the model gives ``text``: its words' weights, summed."""
        weights = self.sentiment_weights
        return sum(weights.get(word, 0.0) for word in text.lower().split())


DEMO_DATA = ServiceData()  # the lessons' demos: stable values, nothing graded on them


def build_profile_service(data: Callable[[], ServiceData] = lambda: DEMO_DATA) -> FastAPI:
    service = FastAPI(title="Fake profile service")

    @service.get("/profiles/{user_id}")
    async def read_profile(user_id: Annotated[int, PathParam()]) -> UpstreamProfile:
        await asyncio.sleep(PROFILE_LATENCY_SECONDS)
        profile = data().profile_of(user_id)
        if profile is None:
            raise HTTPException(status_code=404, detail="No such profile")
        return profile

    return service


# --- the fake OpenAI-compatible LLM ---------------------------------------------------------------


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatCompletionRequest(BaseModel):
    model: str = "fake-echo-1"
    messages: Annotated[list[ChatMessage], Field(min_length=1)]
    stream: bool = False


def _last_user_message(request: ChatCompletionRequest) -> str:
    for message in reversed(request.messages):
        if message.role == "user":
            return message.content
    return ""


def build_llm_service(
    gates: list[StreamGate] | None = None, data: Callable[[], ServiceData] = lambda: DEMO_DATA
) -> FastAPI:
    service = FastAPI(title="Fake OpenAI-compatible LLM")
    waiting = gates if gates is not None else []

    @service.post("/v1/chat/completions", response_model=None)
    async def chat_completions(body: ChatCompletionRequest) -> StreamingResponse | dict[str, Any]:
        message = _last_user_message(body)
        visit = _current_visit.get()
        if visit is not None:
            visit.subject = message
        tokens = data().reply_tokens(message)
        completion_id = f"chatcmpl-{zlib.crc32(''.join(tokens).encode()):08x}"
        if not body.stream:
            return {
                "id": completion_id,
                "object": "chat.completion",
                "created": 0,
                "model": body.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "".join(tokens)},
                        "finish_reason": "stop",
                    }
                ],
            }
        gate = waiting.pop(0) if waiting else None
        return StreamingResponse(
            _sse_chunks(completion_id, body.model, tokens, gate), media_type="text/event-stream"
        )

    return service


async def _sse_chunks(
    completion_id: str, model: str, tokens: list[str], gate: StreamGate | None
) -> AsyncIterator[str]:
    def event(delta: dict[str, str], finish_reason: str | None = None) -> str:
        chunk = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        return f"data: {json.dumps(chunk)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for index, token in enumerate(tokens):
        await asyncio.sleep(TOKEN_INTERVAL_SECONDS)
        yield event({"content": token})
        if index == 0 and gate is not None:
            await gate.hold()
    yield event({}, finish_reason="stop")
    yield "data: [DONE]\n\n"


# --- the geocoding vendor -----------------------------------------------------------------------


def build_geocoder_service(
    lookups: Counter[str] | None = None, data: Callable[[], ServiceData] = lambda: DEMO_DATA
) -> FastAPI:
    service = FastAPI(title="Fake geocoding vendor")
    counted = lookups if lookups is not None else Counter()

    @service.get("/v1/geocode")
    async def geocode(address: Annotated[str, Query(max_length=1000)]) -> dict[str, float]:
        counted[address] += 1
        await asyncio.sleep(GEOCODER_LATENCY_SECONDS)
        latitude, longitude = data().geo_point_of(address)
        return {"lat": latitude, "lon": longitude}

    return service


# --- the audit trail ----------------------------------------------------------------------------


class AuditEntryIn(BaseModel):
    action: Annotated[str, Field(min_length=1, max_length=200)]
    subject: Annotated[str, Field(min_length=1, max_length=200)]


def build_audit_service(entries: list[AuditRecord] | None = None) -> FastAPI:
    service = FastAPI(title="Fake audit trail")
    kept = entries if entries is not None else []

    @service.post("/v1/entries", status_code=201)
    async def record(entry: AuditEntryIn) -> dict[str, int]:
        kept.append(AuditRecord(entry.action, entry.subject))
        return {"entries": len(kept)}

    return service


# --- the model registry -------------------------------------------------------------------------

MODEL_DOWNLOAD_SECONDS = 0.2


def build_models_service(
    downloads: Counter[str] | None = None,
    data: Callable[[], ServiceData] = lambda: DEMO_DATA,
    seconds: Callable[[], float] = lambda: MODEL_DOWNLOAD_SECONDS,
) -> FastAPI:
    service = FastAPI(title="Fake model registry")
    counted = downloads if downloads is not None else Counter()

    @service.get("/v1/models/{name}")
    async def download(name: str) -> dict[str, object]:
        if name != "sentiment":
            raise HTTPException(status_code=404, detail="No such model")
        counted[name] += 1
        await asyncio.sleep(seconds())
        return {"name": name, "weights": data().sentiment_weights}

    return service


# --- the mailer and the pricing partner ---------------------------------------------------------

MAIL_SECONDS = 0.2  # a mail provider's API is slow; nobody should wait for it to sign up
PRICE_SECONDS = 0.02


@dataclass
class SentMail:
    """One mail the provider was asked to send, kept from the moment the request arrived, so
    that a check sees it at once rather than after the provider's slow work."""

    to: str
    subject: str
    received: float  # time.monotonic() when the request arrived
    finished: float | None = None  # when the answer was sent; None while it is being sent

    def finished_after(self, moment: float) -> bool:
        """Whether the provider was still at work at ``moment`` (a time.monotonic() seen
        earlier than now): its answer came later, or has not come yet."""
        return self.finished is None or self.finished > moment


class MailIn(BaseModel):
    to: Annotated[str, Field(min_length=3, max_length=200)]
    subject: Annotated[str, Field(min_length=1, max_length=200)]


def build_mailer_service(
    sent: list[SentMail] | None = None, seconds: Callable[[], float] = lambda: MAIL_SECONDS
) -> FastAPI:
    service = FastAPI(title="Fake mail provider")
    kept = sent if sent is not None else []

    @service.post("/v1/send", status_code=202)
    async def send(mail: MailIn) -> dict[str, str]:
        record = SentMail(mail.to, mail.subject, received=time.monotonic())
        kept.append(record)
        await asyncio.sleep(seconds())
        record.finished = time.monotonic()
        return {"status": "queued"}

    return service


def build_pricing_service(
    lookups: Counter[tuple[str, str]] | None = None,
    data: Callable[[], ServiceData] = lambda: DEMO_DATA,
    seconds: Callable[[], float] = lambda: PRICE_SECONDS,
) -> FastAPI:
    service = FastAPI(title="Fake pricing partner")
    counted = lookups if lookups is not None else Counter()

    @service.get("/v1/price")
    async def price(
        sku: Annotated[str, Query(max_length=40)], user: Annotated[str, Query(max_length=80)]
    ) -> dict[str, object]:
        counted[(sku, user)] += 1
        await asyncio.sleep(seconds())
        return {"sku": sku, "user": user, "cents": data().price_of(sku, user)}

    return service


# The parcel carrier delivers to these countries; its rate engine is down for every other one.
CARRIER_COUNTRIES = ("AT", "BE", "DE", "DK", "ES", "FR", "IT", "NL", "PL", "SE")
CARRIER_NODE = "rates-3.eu-west.carrier.internal:7001"  # what its error bodies say about itself


class LabelIn(BaseModel):
    to: Annotated[str, Field(max_length=8)]
    grams: Annotated[int, Field(ge=1, le=30_000)]


def build_carrier_service(data: Callable[[], ServiceData] = lambda: DEMO_DATA) -> FastAPI:
    """A parcel carrier's API, called with the shop's key in the query (``?key=...``).

    ``GET /v1/rates?to=&grams=`` quotes a parcel; ``POST /v1/labels`` buys its label. For a
    country it does not serve, its rate engine is down: 503, and (as careless partners do) an
    error body that repeats the key it was called with and names its internal node.
    """
    service = FastAPI(title="Fake parcel carrier")

    def down(to: str, key: str) -> JSONResponse:
        return JSONResponse(
            {
                "error": f"rate engine unavailable for {to!r}",
                "debug": {"account_key": key, "node": CARRIER_NODE},
            },
            status_code=503,
        )

    @service.get("/v1/rates", response_model=None)
    async def rates(
        to: Annotated[str, Query(max_length=8)],
        grams: Annotated[int, Query(ge=1, le=30_000)],
        key: Annotated[str, Query(max_length=200)],
    ) -> dict[str, object] | JSONResponse:
        if to not in CARRIER_COUNTRIES:
            return down(to, key)
        return {"to": to, "grams": grams, "cents": data().price_of(f"parcel-{to}", str(grams))}

    @service.post("/v1/labels", status_code=201, response_model=None)
    async def labels(
        label: LabelIn, key: Annotated[str, Query(max_length=200)]
    ) -> dict[str, object] | JSONResponse:
        if label.to not in CARRIER_COUNTRIES:
            return down(label.to, key)
        tracking = data().price_of(f"label-{label.to}", str(label.grams))
        return {"tracking": f"CX{tracking:06d}{label.to}", "to": label.to, "grams": label.grams}

    return service


# --- a set of services, served on loopback (and Unix sockets) -----------------------------------


class FakeServices:
    """Every service, each on its own uvicorn server, in one background thread."""

    def __init__(self, unix_dir: Path | None = None, *, salted: bool = True) -> None:
        self.unix_dir = unix_dir
        # What the services answer: a secret of this process, drawn anew by every reset.
        self.salted = salted
        self.data = ServiceData.salted() if salted else DEMO_DATA
        self.observed = {name: Observed() for name in SERVICES}
        self.stream_gates: list[StreamGate] = []
        self.geocoder_lookups: Counter[str] = Counter()
        self.model_downloads: Counter[str] = Counter()
        self.mails: list[SentMail] = []
        self.price_lookups: Counter[tuple[str, str]] = Counter()
        self.audit_entries: list[AuditRecord] = []
        # How long the slow partners take to answer (see quick_partners).
        self.mail_seconds, self.price_seconds = MAIL_SECONDS, PRICE_SECONDS
        self.model_seconds = MODEL_DOWNLOAD_SECONDS
        self._urls: dict[str, str] = {}
        self._servers: list[uvicorn.Server] = []
        self._thread: threading.Thread | None = None

    # --- what the checks use ---------------------------------------------------------------

    def url(self, name: str) -> str:
        return self._urls[name]

    def unix_path(self, name: str) -> Path:
        if self.unix_dir is None:
            raise ValueError("these services listen on loopback only")
        return self.unix_dir / f"{name}.sock"

    def hold_next_stream(self, timeout: float = 2.0) -> StreamGate:
        gate = StreamGate(timeout)
        self.stream_gates.append(gate)
        return gate

    def audit_entries_for(self, subject: str) -> list[AuditRecord]:
        return [entry for entry in list(self.audit_entries) if entry.subject == subject]

    def reset(self) -> None:
        """Forget what was observed so far, and draw new data: a new answer is about to be
        checked, and nothing it (or an earlier answer) learned from the services holds."""
        if self.salted:
            self.data = ServiceData.salted()
        for observed in self.observed.values():
            observed.reset()
        self.stream_gates.clear()
        self.geocoder_lookups.clear()
        self.model_downloads.clear()
        self.mails.clear()
        self.price_lookups.clear()
        self.audit_entries.clear()
        self.mail_seconds, self.price_seconds = MAIL_SECONDS, PRICE_SECONDS
        self.model_seconds = MODEL_DOWNLOAD_SECONDS

    @contextlib.contextmanager
    def quick_partners(self, seconds: float = 0.002) -> Iterator[None]:
        """The mail provider, the pricing partner and the model registry answer within
        ``seconds`` meanwhile: for checks that count calls, connections or downloads, where the
        partners' slowness (which other checks need, to open a race or to measure a wait)
        would only make the learner wait longer for a verdict."""
        self.mail_seconds = self.price_seconds = self.model_seconds = seconds
        try:
            yield
        finally:
            self.mail_seconds, self.price_seconds = MAIL_SECONDS, PRICE_SECONDS
            self.model_seconds = MODEL_DOWNLOAD_SECONDS

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> FakeServices:
        def data() -> ServiceData:  # read per request: a reset draws new data
            return self.data

        builds: dict[str, Callable[[], FastAPI]] = {
            "profile": lambda: build_profile_service(data),
            "llm": lambda: build_llm_service(self.stream_gates, data),
            "geocoder": lambda: build_geocoder_service(self.geocoder_lookups, data),
            "audit": lambda: build_audit_service(self.audit_entries),
            "models": lambda: build_models_service(
                self.model_downloads, data, lambda: self.model_seconds
            ),
            "mailer": lambda: build_mailer_service(self.mails, lambda: self.mail_seconds),
            "pricing": lambda: build_pricing_service(
                self.price_lookups, data, lambda: self.price_seconds
            ),
            "carrier": lambda: build_carrier_service(data),
        }
        sockets: dict[str, list[socket.socket]] = {}
        for name in SERVICES:
            # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that name their
            # protocol, and without it every keep-alive response waits 40 ms for a delayed ACK.
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind(("127.0.0.1", 0))
            self._urls[name] = f"http://127.0.0.1:{tcp.getsockname()[1]}"
            sockets[name] = [tcp]
            if self.unix_dir is not None:
                self.unix_dir.mkdir(parents=True, exist_ok=True)
                unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                unix.bind(str(self.unix_path(name)))
                os.chmod(self.unix_path(name), 0o666)  # a sandbox may map the answer to nobody
                sockets[name].append(unix)
            config = uvicorn.Config(
                _recording_requests(builds[name](), self.observed[name]),
                # No logging configuration of uvicorn's own: these services also run inside a
                # learner's kernel, whose logging is the learner's business.
                log_config=None,
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_keep_alive=30,
                http=_counting_protocol(self.observed[name]),
            )
            self._servers.append(uvicorn.Server(config))
        self._thread = threading.Thread(
            target=asyncio.run,
            args=(self._serve_all(list(sockets.values())),),
            name="fake-services",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not all(server.started for server in self._servers):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake upstream services did not start")
            time.sleep(0.002)
        return self

    async def _serve_all(self, sockets: list[list[socket.socket]]) -> None:
        await asyncio.gather(
            *(server.serve(sockets=s) for server, s in zip(self._servers, sockets, strict=True))
        )

    def close(self) -> None:
        for server in self._servers:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(5)


def _counting_protocol(observed: Observed) -> type[H11Protocol]:
    """uvicorn's h11 protocol, counting the connections one service accepts and loses."""

    class Counting(H11Protocol):
        def connection_made(self, transport: Any) -> None:
            observed.connection_opened()
            super().connection_made(transport)

        def connection_lost(self, exc: Exception | None) -> None:
            observed.connection_closed()
            super().connection_lost(exc)

    return Counting


def _recording_requests(app: FastAPI, observed: Observed) -> Callable[..., Any]:
    """The service's app, noting each request line before serving it."""

    async def recorded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        visit = observed.request(
            f"{scope['method']} {scope['path']}" + (f"?{query}" if query else "")
        )
        noted = _current_visit.set(visit)
        try:
            await app(scope, receive, send)
        finally:
            visit.finished = time.monotonic()
            _current_visit.reset(noted)

    return recorded


# --- where an answer finds the services ----------------------------------------------------------

_start_lock = threading.Lock()


@cache
def _local_services() -> FakeServices:
    """The process's own services, for the lessons' demos: the demo data, never salted."""
    return FakeServices(salted=False).start()


@cache
def _trusted_set() -> FakeServices:
    return FakeServices(salted=False).start()


# While checks run: the set that trusted code in their process (the reference) talks to.
_trusted: FakeServices | None = None


@contextlib.contextmanager
def trusted_services_like(learner: FakeServices) -> Iterator[FakeServices]:
    """Point this process's ``service_url`` at a set of its own that answers with ``learner``'s
    data (what it observes starts empty), for as long as the block runs.

    The reference runs in the checks' process and finds its services as any code does; its
    answers must agree with the data the learner's services were salted with this run, and
    what it does to its services must not count as the learner's.
    """
    global _trusted  # noqa: PLW0603 - one redirection per process, for one run of checks
    with _start_lock:
        services = _trusted_set()
        services.reset()
        services.data = learner.data
        _trusted = services
    try:
        yield services
    finally:
        with _start_lock:
            _trusted = None


def service_url(name: str) -> str:
    """The base URL of one fake service, for the code that calls it."""
    configured = os.environ.get(upstream_env_name(name))
    if configured:
        return configured
    with _start_lock:
        return (_trusted or _local_services()).url(name)


def profile_service_url() -> str:
    """Base URL of the fake profile service."""
    return service_url("profile")


def llm_service_url() -> str:
    """Base URL of the fake OpenAI-compatible LLM."""
    return service_url("llm")


def geocoder_service_url() -> str:
    """Base URL of the fake geocoding vendor."""
    return service_url("geocoder")


def audit_service_url() -> str:
    """Base URL of the fake audit trail."""
    return service_url("audit")


def models_service_url() -> str:
    """Base URL of the fake model registry."""
    return service_url("models")


def observed_by(name: str) -> Observed:
    """What the notebook's own fake service ``name`` has seen (for the lessons' demos)."""
    with _start_lock:
        return _local_services().observed[name]


def mailer_service_url() -> str:
    """Base URL of the fake mail provider."""
    return service_url("mailer")


def pricing_service_url() -> str:
    """Base URL of the fake pricing partner."""
    return service_url("pricing")


def carrier_service_url() -> str:
    """Base URL of the fake parcel carrier."""
    return service_url("carrier")
