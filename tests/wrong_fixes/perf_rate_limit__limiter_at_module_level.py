# expect: its counters outlived the run
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, TypedDict

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, status
from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from pydantic import BaseModel

TITLES = [
    "The Analytical Engine", "Compilers for Everyone", "A Tale of Two Kernels",
    "Engines of Logic", "Sorting and Searching", "The Art of Waiting",
]  # fmt: skip
SEARCHES = parse("5/10 seconds")  # per client, in any 10-second window


class Results(BaseModel):
    query: str
    titles: list[str]


class Problem(BaseModel):
    detail: str


class State(TypedDict):
    limiter: MovingWindowRateLimiter


# The `limits` library: the counting and the windows, in memory (one process); with several
# workers, its Redis storage shares them.
LIMITER = MovingWindowRateLimiter(MemoryStorage())


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    yield {"limiter": LIMITER}


async def limited(
    request: Request, api_key: Annotated[str | None, Header(alias="X-Api-Key")] = None
) -> None:
    """429 with Retry-After once this client has used its searches for the window."""
    client = api_key or (request.client.host if request.client else "anonymous")
    limiter: MovingWindowRateLimiter = request.state.limiter
    if not await limiter.hit(SEARCHES, "search", client):
        window = await limiter.get_window_stats(SEARCHES, "search", client)
        wait = max(1, math.ceil(window.reset_time - time.time()))
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail="Too many searches: try again later",
            headers={"Retry-After": str(wait)},
        )


app = FastAPI(title="Public search", lifespan=lifespan)


@app.get(
    "/search",
    dependencies=[Depends(limited)],
    responses={429: {"model": Problem, "description": "Too many searches from this client"}},
)
async def search(q: Annotated[str, Query(min_length=1, max_length=50)]) -> Results:
    """Open to anyone, with no account: each search costs the index a full scan."""
    return Results(query=q, titles=[t for t in TITLES if q.lower() in t.lower()])
