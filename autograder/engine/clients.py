"""The clients checks use: one for the learner's app, over its socket, one for the reference.

``AnswerClient`` talks HTTP to an answer process over the Unix socket only the checks can reach.
What it returns is what a real client would see: status, headers, body, and timing measured
here, outside the answer. ``concurrently`` and ``loop_lag_during`` time the answer's event
loop from outside (a blocked loop answers nothing, not even the host's probe). When the app
answers 500, the exception the answer process reported is attached to the response for the
message (``response.extensions["workbook_error"]``); it explains, it never decides.

``InProcessClient`` serves the reference app, which is trusted code, inside the checks'
process: on an event loop of its own in a separate thread (a Jupyter kernel already runs a
loop in its main thread), through httpx's ASGI transport, with its lifespan run by
asgi-lifespan.

Everything read from an answer is bounded (``BoundedTransport``): a body larger than
``MAX_BODY_BYTES``, or one still arriving after ``MAX_BODY_SECONDS``, stops the check with
``AnswerRefused``; so does a compressed body. The checks ask for ``Accept-Encoding: identity``,
so a correct app never compresses (Starlette's GZipMiddleware only compresses for a client that
asks for gzip); inflating what the answer chose to compress would let a small body fill the
checks' memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import secrets
import threading
import time
import zlib
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import anyio.from_thread
import httpx
from asgi_lifespan import LifespanManager

from autograder.engine.answer_cpu import AnswerCpu
from autograder.engine.checkkit import validation_error_text
from autograder.engine.report import AnswerReport
from workbook.host.apps import as_uvicorn_serves
from workbook.host.protocol import PROBE_PATH, REQUEST_ID_HEADER

REQUEST_TIMEOUT_SECONDS = 10.0
LIFESPAN_TIMEOUT_SECONDS = 10.0
# Nothing may set the checks' requests apart from a real client's: an answer that recognised
# them could apply its fix only under test (a rate limit for requests that look like the
# checks'). So the host is one of several a deployed app answers to, drawn per run (the same
# for the reference, whose bodies and links are compared), and each request takes the next
# user agent and encodings real clients send, in an order shuffled per run: any few requests
# in a row carry several fingerprints.
HOSTS = ("localhost:8000", "127.0.0.1:8000", "api.internal", "shop.example.com", "10.0.0.7:8080")
BASE_URL = f"http://{secrets.choice(HOSTS)}"
USER_AGENTS = (
    "curl/8.5.0",
    "python-requests/2.32.3",
    f"python-httpx/{httpx.__version__}",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
)
# Only encodings zlib inflates (with a cap: ``_Inflating``); identity as often as any other.
ACCEPT_ENCODINGS = ("gzip, deflate", "identity", "deflate, gzip")
INFLATES = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
# The exercises' answers are a few KB (the largest, lesson 06's unpaginated shelf, ~120 KB).
MAX_BODY_BYTES = 1024 * 1024
# A body that trickles in a byte at a time never trips the read timeout; this bounds it whole.
MAX_BODY_SECONDS = 2 * REQUEST_TIMEOUT_SECONDS


def _fingerprints() -> Iterator[dict[str, str]]:
    combinations = [
        {"User-Agent": agent, "Accept-Encoding": encodings}
        for agent in USER_AGENTS
        for encodings in ACCEPT_ENCODINGS
    ]
    random.SystemRandom().shuffle(combinations)
    return itertools.cycle(combinations)


_FINGERPRINTS = _fingerprints()
_FINGERPRINTS_LOCK = threading.Lock()


def next_fingerprint() -> dict[str, str]:
    """The headers a real client would send, the next in this run's rotation."""
    with _FINGERPRINTS_LOCK:
        return dict(next(_FINGERPRINTS))


# The clients' own default for both headers: each request's hook puts the next fingerprint in
# its place (a header a check sets itself stays as the check set it).
UNSET = "set-per-request"
FINGERPRINTED = {"User-Agent": UNSET, "Accept-Encoding": UNSET}


def fingerprint(request: httpx.Request) -> None:
    """httpx's request hook: the next fingerprint where the check left the headers unset."""
    for name, value in next_fingerprint().items():
        if request.headers.get(name) == UNSET:
            request.headers[name] = value


async def fingerprint_async(request: httpx.Request) -> None:
    fingerprint(request)


class CheckTimeout(Exception):
    """The app did not answer in time; its loop is probably stuck."""


class AnswerGone(Exception):
    """The answer's process stopped answering: it ended, or closed its socket."""


class AnswerRefused(Exception):
    """The checks stopped reading an answer: too large, too slow to arrive, or compressed."""

    hint = (
        "Answer only what the request asks for (one item, one page), uncompressed unless the "
        "client asks for compression."
    )


def _label(request: httpx.Request) -> str:
    path = request.url.path
    return f"{request.method} {path if len(path) <= 80 else path[:79] + '…'}"


def _inflation_for(response: httpx.Response, request: httpx.Request) -> int | None:
    """zlib's window bits for the body's encoding (None: sent as is), or ``AnswerRefused``
    where the body is encoded in a way the request did not ask for, or is too large."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    asked = request.headers.get("accept-encoding", "identity")
    accepted = {part.split(";")[0].strip().lower() for part in asked.split(",")}
    if encoding not in ("", "identity") and (encoding not in accepted or encoding not in INFLATES):
        raise AnswerRefused(
            f"{_label(request)} answered with `Content-Encoding: {encoding}`, though the "
            f"request said `Accept-Encoding: {asked}`. A server compresses only in a way the "
            "client asks for (GZipMiddleware does so on its own); remove whatever compresses "
            "every response."
        )
    announced = response.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > MAX_BODY_BYTES:
        raise _too_large(request)
    if encoding in ("", "identity"):
        return None
    # Inflated here, with a cap, never by httpx (which inflates whatever arrives, unbounded).
    del response.headers["content-encoding"]
    if "content-length" in response.headers:
        del response.headers["content-length"]
    return INFLATES[encoding]


def _too_large(request: httpx.Request) -> AnswerRefused:
    return AnswerRefused(
        f"{_label(request)} answered more than {MAX_BODY_BYTES // (1024 * 1024)} MB; the "
        "exercise's answers are a few KB. The checks stopped reading there: send only what the "
        "request asks for."
    )


def _too_slow(request: httpx.Request) -> AnswerRefused:
    return AnswerRefused(
        f"{_label(request)} was still sending its body after {MAX_BODY_SECONDS:.0f} s; the "
        "checks stopped reading there. Send the whole answer as soon as it is ready."
    )


class _BoundedBody:
    """Counts what arrives and stops at the first byte past the cap or the deadline; inflates
    a compressed body as it arrives, and stops at the first inflated byte past the cap."""

    def __init__(self, request: httpx.Request, wbits: int | None) -> None:
        self.request = request
        self.received = self.inflated = 0
        self.deadline = time.monotonic() + MAX_BODY_SECONDS
        self.inflater = zlib.decompressobj(wbits) if wbits is not None else None

    def count(self, chunk: bytes) -> bytes:
        self.received += len(chunk)
        if self.received > MAX_BODY_BYTES:
            raise _too_large(self.request)
        if time.monotonic() > self.deadline:
            raise _too_slow(self.request)
        if self.inflater is None:
            return chunk
        try:  # never more than one byte past the cap, whatever the ratio
            out = self.inflater.decompress(chunk, MAX_BODY_BYTES + 1 - self.inflated)
        except zlib.error as error:
            raise AnswerRefused(
                f"{_label(self.request)} sent a compressed body that does not inflate ({error})."
            ) from None
        self.inflated += len(out)
        if self.inflated > MAX_BODY_BYTES or self.inflater.unconsumed_tail:
            raise _too_large(self.request)
        return out


class _BoundedSyncStream(httpx.SyncByteStream):
    def __init__(
        self, inner: httpx.SyncByteStream, request: httpx.Request, wbits: int | None
    ) -> None:
        self._inner, self._bound = inner, _BoundedBody(request, wbits)

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            yield self._bound.count(chunk)

    def close(self) -> None:
        self._inner.close()


class _BoundedAsyncStream(httpx.AsyncByteStream):
    def __init__(
        self, inner: httpx.AsyncByteStream, request: httpx.Request, wbits: int | None
    ) -> None:
        self._inner, self._bound = inner, _BoundedBody(request, wbits)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield self._bound.count(chunk)

    async def aclose(self) -> None:
        await self._inner.aclose()


class BoundedTransport(httpx.BaseTransport):
    """httpx's transport with every answer's body capped, and inflated here with a cap.

    A transport, not a check after ``client.request``: httpx reads (and inflates) the whole
    body before it returns, so a bound has to sit below the client, on the raw bytes.
    """

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        try:
            wbits = _inflation_for(response, request)
        except AnswerRefused:
            response.close()
            raise
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = _BoundedSyncStream(response.stream, request, wbits)
        return response

    def close(self) -> None:
        self._inner.close()


class BoundedAsyncTransport(httpx.AsyncBaseTransport):
    """``BoundedTransport`` for the async client that times the loop."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        try:
            wbits = _inflation_for(response, request)
        except AnswerRefused:
            await response.aclose()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _BoundedAsyncStream(response.stream, request, wbits)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass
class TimedResponse:
    response: httpx.Response
    seconds: float
    arrived: float = 0.0  # time.monotonic() when the whole answer had arrived


class AnswerClient:
    """A synchronous HTTP client for checks, talking to one answer process."""

    def __init__(
        self,
        socket_path: str,
        report: AnswerReport,
        *,
        timeout: float | None = None,
        socket_inode: int = 0,
    ) -> None:
        self.socket_path = socket_path
        # What the answer's processes have run on a CPU, from the kernel (cost rows read it).
        self.cpu = AnswerCpu(socket_inode)
        self.report = report
        self.timeout = timeout or REQUEST_TIMEOUT_SECONDS
        self._ids = itertools.count(1)
        self._broken = ""
        self._client = httpx.Client(
            # verify=False: plain HTTP on a Unix socket; it only spares loading CA certificates.
            transport=BoundedTransport(httpx.HTTPTransport(uds=socket_path, verify=False)),
            base_url=BASE_URL,
            headers=FINGERPRINTED,
            event_hooks={"request": [fingerprint]},
            timeout=httpx.Timeout(self.timeout, connect=5.0),
        )

    def close(self) -> None:
        self._client.close()

    # --- plain requests ---------------------------------------------------------------------

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        label = f"{method.upper()} {url}"
        if self._broken:
            raise CheckTimeout(self._broken)
        request_id = str(next(self._ids))
        headers = {**kwargs.pop("headers", {}), REQUEST_ID_HEADER: request_id}
        try:
            response = self._client.request(method, url, headers=headers, **kwargs)
        except httpx.TimeoutException:
            self._broken = (
                f"{label} did not answer within {self.timeout:.0f} s: something in the code never "
                "returns, or never yields to the event loop."
            )
            raise CheckTimeout(self._broken) from None
        except httpx.TransportError as error:
            raise AnswerGone(self._gone(label, error)) from None
        self._explain(response, request_id)
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    @contextlib.contextmanager
    def stream(self, method: str, url: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """A response whose body is read as it arrives, over the real socket."""
        label = f"{method.upper()} {url}"
        try:
            with self._client.stream(method, url, **kwargs) as response:
                yield response
        except httpx.TimeoutException:
            raise CheckTimeout(f"{label} stopped sending within {self.timeout:.0f} s.") from None
        except httpx.TransportError as error:
            raise AnswerGone(self._gone(label, error)) from None

    def openapi(self) -> httpx.Response:
        return self.get("/openapi.json")

    # --- timing the event loop from outside ------------------------------------------------

    def concurrently(
        self, requests: Sequence[tuple[str, str, dict[str, Any]]]
    ) -> tuple[list[TimedResponse], float]:
        """Send all requests at once; return each response with its latency, and the wall time."""
        return self._run_async(self._send_all(requests))

    def loop_lag_during(
        self, method: str, url: str, **kwargs: Any
    ) -> tuple[httpx.Response, float, float]:
        """Send one request while probing the loop from outside.

        Returns the response, the slowest probe's latency (how long the loop stood still) and
        the request's own duration, both timed here.
        """
        return self._run_async(self._with_probes(method, url, kwargs))

    def _run_async(self, coroutine: Any) -> Any:
        if self._broken:
            coroutine.close()
            raise CheckTimeout(self._broken)
        try:
            return asyncio.run(asyncio.wait_for(coroutine, self.timeout))
        except (TimeoutError, httpx.TimeoutException):
            self._broken = (
                f"the app did not answer within {self.timeout:.0f} s: something in the code never "
                "returns, or never yields to the event loop."
            )
            raise CheckTimeout(self._broken) from None
        except httpx.TransportError as error:
            raise AnswerGone(self._gone("a request", error)) from None

    @contextlib.asynccontextmanager
    async def _async_client(self) -> AsyncIterator[httpx.AsyncClient]:
        transport = BoundedAsyncTransport(
            httpx.AsyncHTTPTransport(uds=self.socket_path, verify=False)
        )
        async with httpx.AsyncClient(
            transport=transport,
            base_url=BASE_URL,
            headers=FINGERPRINTED,
            event_hooks={"request": [fingerprint_async]},
            timeout=self.timeout,
        ) as client:
            yield client

    async def _send_all(
        self, requests: Sequence[tuple[str, str, dict[str, Any]]]
    ) -> tuple[list[TimedResponse], float]:
        async with self._async_client() as client:

            async def one(method: str, url: str, kwargs: dict[str, Any]) -> TimedResponse:
                started = time.perf_counter()
                response = await client.request(method, url, **kwargs)
                seconds = time.perf_counter() - started
                return TimedResponse(response, seconds, time.monotonic())

            # Connections first, so that connecting is not timed as the app's work.
            await asyncio.gather(*(client.get(PROBE_PATH) for _ in requests))
            started = time.perf_counter()
            results = await asyncio.gather(*(one(m, u, k) for m, u, k in requests))
            return list(results), time.perf_counter() - started

    async def _with_probes(
        self, method: str, url: str, kwargs: dict[str, Any]
    ) -> tuple[httpx.Response, float, float]:
        async with self._async_client() as client:
            await asyncio.gather(client.get(PROBE_PATH), client.get(PROBE_PATH))
            worst = 0.0
            started = time.perf_counter()
            request = asyncio.create_task(client.request(method, url, **kwargs))
            await asyncio.sleep(0.001)  # the request is on its way before the first probe
            while not request.done():
                probe_started = time.perf_counter()
                probe = asyncio.create_task(client.get(PROBE_PATH))
                await asyncio.wait({probe, request}, return_when=asyncio.FIRST_COMPLETED)
                await probe  # a probe sent while the request ran counts, however it ends
                worst = max(worst, time.perf_counter() - probe_started)
                await asyncio.sleep(0.002)
            response = await request
            return response, worst, time.perf_counter() - started

    # --- explanations from the report -------------------------------------------------------

    def _explain(self, response: httpx.Response, request_id: str) -> None:
        if response.status_code >= 500:
            error = self.report.error_for(request_id, wait=0.2)
            if error is not None:
                response.extensions["workbook_error"] = error

    def _gone(self, label: str, error: Exception) -> str:
        self.report.wait_until(lambda: self.report.ended, 0.5)
        said = ""
        if self.report.load_error is not None:
            loaded = self.report.load_error
            said = f" It reported {loaded.type}: {validation_error_text(loaded.message)}"
        return (
            f"{label}: the app stopped answering ({type(error).__name__}); its process ended "
            f"or closed its socket.{said}"
        )


class InProcessClient:
    """A synchronous client for the reference app, served on its own event loop thread."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._stack = contextlib.ExitStack()
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._client: httpx.AsyncClient | None = None

    def start(self) -> InProcessClient:
        self._portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())
        served = self._portal.wrap_async_context_manager(self._serve())
        self._client = self._stack.enter_context(served)
        return self

    @contextlib.asynccontextmanager
    async def _serve(self) -> AsyncIterator[httpx.AsyncClient]:
        # Built inside the portal's loop: asgi-lifespan detects its async library on creation.
        # Each request gets a copy of the lifespan state, as uvicorn (and the answer host) give it.
        async with LifespanManager(
            as_uvicorn_serves(self.app),
            startup_timeout=LIFESPAN_TIMEOUT_SECONDS,
            shutdown_timeout=LIFESPAN_TIMEOUT_SECONDS,
        ) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                yield client

    def close(self) -> None:
        self._stack.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if self._portal is None:
            self.start()
        assert self._portal is not None and self._client is not None
        future = self._portal.start_task_soon(self._send, method, url, kwargs)
        try:
            return future.result(timeout=REQUEST_TIMEOUT_SECONDS)
        except FutureTimeout:
            raise RuntimeError(f"the reference did not answer {method} {url}") from None

    async def _send(self, method: str, url: str, kwargs: dict[str, Any]) -> httpx.Response:
        assert self._client is not None
        return await self._client.request(method, url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def openapi(self) -> httpx.Response:
        return self.get("/openapi.json")
