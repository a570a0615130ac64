"""In-process stand-ins for the outside world: a legacy blocking SDK, a cache, an audit sink.

Exercise cells create these in their lifespan and keep them on ``app.state``; none of them is
a module-level singleton.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

V = TypeVar("V")

GEOCODER_LATENCY_SECONDS = 0.01  # the vendor's servers answer in about this long


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float


class LegacyGeocoder:
    """A vendor's geocoding SDK from before asyncio: every lookup blocks its thread.

    There is no async version and it cannot be changed. ``lookup`` waits for a network round
    trip with a blocking sleep, then returns a point derived from the address (the same
    address always gives the same point). ``calls`` counts lookups, so a cache can be seen
    working.
    """

    def __init__(self, latency: float = GEOCODER_LATENCY_SECONDS) -> None:
        self.latency = latency
        self._calls = 0
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        with self._lock:
            return self._calls

    def lookup(self, address: str) -> GeoPoint:
        with self._lock:
            self._calls += 1
        time.sleep(self.latency)  # the SDK's blocking socket read, as far as the caller can tell
        digest = hashlib.sha256(" ".join(address.lower().split()).encode()).digest()
        latitude = int.from_bytes(digest[:4]) / 2**32 * 180 - 90
        longitude = int.from_bytes(digest[4:8]) / 2**32 * 360 - 180
        return GeoPoint(round(latitude, 6), round(longitude, 6))


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


@dataclass(frozen=True)
class AuditEntry:
    action: str
    subject: str
    at: datetime


class AuditLog:
    """An append-only audit trail with an async API, as a real one (a database table) would have.

    ``record`` only writes when it is awaited: calling it without ``await`` creates a
    coroutine that never runs.
    """

    def __init__(self) -> None:
        self._entries: list[AuditEntry] = []

    async def record(self, action: str, subject: str) -> None:
        await asyncio.sleep(0)  # the write travels to the audit store
        self._entries.append(AuditEntry(action, subject, datetime.now(UTC)))

    @property
    def entries(self) -> tuple[AuditEntry, ...]:
        return tuple(self._entries)

    def entries_for(self, subject: str) -> list[AuditEntry]:
        return [entry for entry in self._entries if entry.subject == subject]
