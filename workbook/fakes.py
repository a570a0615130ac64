"""Client libraries for the outside world: a legacy blocking SDK, an async cache, an audit log.

Exercise cells create these in their lifespan and keep them on ``app.state``; none of them is
a module-level singleton. The geocoder and the audit log talk to fake services
(``workbook.upstreams``) over real sockets, so what they do can be observed from outside the
app: lookups the vendor served, entries the audit trail received.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, Self, TypeVar

import httpx

from workbook.upstreams import audit_service_url, geocoder_service_url

V = TypeVar("V")


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float


class LegacyGeocoder:
    """A vendor's geocoding SDK from before asyncio: every lookup blocks its thread.

    There is no async version and it cannot be changed. ``lookup`` makes a blocking HTTP round
    trip to the vendor (about 20 ms) and returns the point for the address; the same address
    always gives the same point.
    """

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = base_url or geocoder_service_url()

    def lookup(self, address: str) -> GeoPoint:
        query = urllib.parse.urlencode({"address": address})
        # The SDK's own blocking client, as old SDKs have: the caller's thread waits.
        with urllib.request.urlopen(f"{self.base_url}/v1/geocode?{query}", timeout=10) as reply:
            point = json.loads(reply.read())
        return GeoPoint(point["lat"], point["lon"])


class AsyncCache(Generic[V]):
    """A key-value cache with an async API, like a Redis client (here it lives in memory)."""

    def __init__(self) -> None:
        self._values: dict[str, V] = {}

    async def get(self, key: str) -> V | None:
        await asyncio.sleep(0)  # a round trip to the cache server
        return self._values.get(key)

    async def set(self, key: str, value: V) -> None:
        await asyncio.sleep(0)
        self._values[key] = value


class AuditLog:
    """An append-only audit trail with an async API, kept by a separate service.

    Open it once, in the lifespan (``async with AuditLog() as audit:``), so that every write
    shares one pooled connection. ``record`` only writes when it is awaited: calling it
    without ``await`` creates a coroutine that never runs.
    """

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = base_url or audit_service_url()
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Self:
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=10.0)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def record(self, action: str, subject: str) -> None:
        if self._client is None:
            raise RuntimeError("Open the audit log first: `async with AuditLog() as audit:`")
        response = await self._client.post(
            "/v1/entries", json={"action": action, "subject": subject}
        )
        response.raise_for_status()
