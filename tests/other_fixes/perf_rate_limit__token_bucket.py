import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, TypedDict

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, status
from pydantic import BaseModel

TITLES = [
    "The Analytical Engine", "Compilers for Everyone", "A Tale of Two Kernels",
    "Engines of Logic", "Sorting and Searching", "The Art of Waiting",
]  # fmt: skip


class Results(BaseModel):
    query: str
    titles: list[str]


CAPACITY = 5.0  # five at once
REFILL_PER_SECOND = 5 / 10  # and five more every ten seconds


@dataclass
class Bucket:
    tokens: float
    updated: float


class State(TypedDict):
    buckets: dict[str, Bucket]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    yield {"buckets": {}}  # each run of the app starts with full buckets


def limited(
    request: Request, api_key: Annotated[str | None, Header(alias="X-Api-Key")] = None
) -> None:
    """A token bucket per client: a search takes a token; tokens come back at a steady rate."""
    client = api_key or (request.client.host if request.client else "anonymous")
    now = time.monotonic()
    bucket = request.state.buckets.setdefault(client, Bucket(CAPACITY, now))
    bucket.tokens = min(CAPACITY, bucket.tokens + (now - bucket.updated) * REFILL_PER_SECOND)
    bucket.updated = now
    if bucket.tokens < 1:
        wait = max(1, math.ceil((1 - bucket.tokens) / REFILL_PER_SECOND))
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail="Too many searches",
            headers={"Retry-After": str(wait)},
        )
    bucket.tokens -= 1


app = FastAPI(title="Public search", lifespan=lifespan)


@app.get("/search", dependencies=[Depends(limited)])
async def search(q: Annotated[str, Query(min_length=1, max_length=50)]) -> Results:
    """Open to anyone, with no account: each search costs the index a full scan."""
    return Results(query=q, titles=[t for t in TITLES if q.lower() in t.lower()])
