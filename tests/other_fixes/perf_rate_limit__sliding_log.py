import math
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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


WINDOW_SECONDS = 10.0
SEARCHES = 5


class State(TypedDict):
    answered: defaultdict[str, deque[float]]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    yield {"answered": defaultdict(deque)}  # each run of the app counts afresh


def limited(request: Request, x_api_key: Annotated[str, Header()] = "") -> None:
    """A sliding log: the times of each client's answered searches in the last ten seconds."""
    client = x_api_key or (request.client.host if request.client else "anonymous")
    now = time.time()
    recent = request.state.answered[client]
    while recent and now - recent[0] >= WINDOW_SECONDS:
        recent.popleft()
    if len(recent) >= SEARCHES:
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail="Too many searches",
            headers={"Retry-After": str(math.ceil(recent[0] + WINDOW_SECONDS - now))},
        )
    recent.append(now)


app = FastAPI(title="Public search", lifespan=lifespan)


@app.get("/search", dependencies=[Depends(limited)])
async def search(q: Annotated[str, Query(min_length=1, max_length=50)]) -> Results:
    """Open to anyone, with no account: each search costs the index a full scan."""
    return Results(query=q, titles=[t for t in TITLES if q.lower() in t.lower()])
