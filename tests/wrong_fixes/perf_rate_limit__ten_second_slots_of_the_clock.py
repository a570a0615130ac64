# expect: fixed window
import math
import time
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


WINDOW_SECONDS = 10
SEARCHES = 5
# Counts per client and per ten-second slot of the clock: reset at every multiple of ten.
counts: dict[tuple[str, int], int] = {}


def limited(
    request: Request, api_key: Annotated[str | None, Header(alias="X-Api-Key")] = None
) -> None:
    client = api_key or (request.client.host if request.client else "anonymous")
    now = time.time()
    slot = int(now // WINDOW_SECONDS)
    used = counts.get((client, slot), 0)
    if used >= SEARCHES:
        wait = max(1, math.ceil((slot + 1) * WINDOW_SECONDS - now))
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail="Too many searches",
            headers={"Retry-After": str(wait)},
        )
    counts[(client, slot)] = used + 1


app = FastAPI(title="Public search")


@app.get("/search", dependencies=[Depends(limited)])
async def search(q: Annotated[str, Query(min_length=1, max_length=50)]) -> Results:
    """Open to anyone, with no account: each search costs the index a full scan."""
    return Results(query=q, titles=[t for t in TITLES if q.lower() in t.lower()])
