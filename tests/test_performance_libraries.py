"""The libraries lesson 06 teaches, against the installed FastAPI: `limits` and cachetools."""

from typing import Annotated

from cachetools import TTLCache
from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.testclient import TestClient
from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter


def test_a_limits_dependency_answers_429_per_client():
    limiter = MovingWindowRateLimiter(MemoryStorage())
    two_a_minute = parse("2/minute")

    async def limited(key: Annotated[str, Header(alias="X-Api-Key")]) -> None:
        if not await limiter.hit(two_a_minute, "ping", key):
            raise HTTPException(429, headers={"Retry-After": "60"})

    app = FastAPI()

    @app.get("/ping", dependencies=[Depends(limited)])
    async def ping() -> str:
        return "pong"

    with TestClient(app) as client:
        statuses = [client.get("/ping", headers={"X-Api-Key": "a"}).status_code for _ in range(3)]
        other = client.get("/ping", headers={"X-Api-Key": "b"}).status_code
    assert statuses == [200, 200, 429]
    assert other == 200


def test_a_ttl_cache_forgets_after_its_time_and_beyond_its_size():
    now = [0.0]
    cache: TTLCache[str, int] = TTLCache(maxsize=2, ttl=1.0, timer=lambda: now[0])
    cache["a"], cache["b"] = 1, 2
    cache["c"] = 3  # over the bound: the oldest goes
    assert "a" not in cache and set(cache) == {"b", "c"}
    now[0] = 1.5  # past the time to live
    assert "b" not in cache and "c" not in cache
