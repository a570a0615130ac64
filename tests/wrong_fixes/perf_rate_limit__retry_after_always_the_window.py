# expect: Retry-After
import time
from collections import deque
from typing import Annotated

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
answered: dict[str, deque[float]] = {}


def limited(
    request: Request, api_key: Annotated[str | None, Header(alias="X-Api-Key")] = None
) -> None:
    client = api_key or (request.client.host if request.client else "anonymous")
    now = time.monotonic()
    recent = answered.setdefault(client, deque())
    while recent and recent[0] <= now - WINDOW_SECONDS:
        recent.popleft()
    if len(recent) >= SEARCHES:
        # The window's length, whatever is left of it.
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail="Too many searches",
            headers={"Retry-After": str(int(WINDOW_SECONDS))},
        )
    recent.append(now)


app = FastAPI(title="Public search")


@app.get("/search", dependencies=[Depends(limited)])
async def search(q: Annotated[str, Query(min_length=1, max_length=50)]) -> Results:
    """Open to anyone, with no account: each search costs the index a full scan."""
    return Results(query=q, titles=[t for t in TITLES if q.lower() in t.lower()])
