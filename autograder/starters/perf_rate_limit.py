from typing import Annotated

from fastapi import FastAPI, Query
from pydantic import BaseModel

TITLES = [
    "The Analytical Engine", "Compilers for Everyone", "A Tale of Two Kernels",
    "Engines of Logic", "Sorting and Searching", "The Art of Waiting",
]  # fmt: skip


class Results(BaseModel):
    query: str
    titles: list[str]


app = FastAPI(title="Public search")


@app.get("/search")
async def search(q: Annotated[str, Query(min_length=1, max_length=50)]) -> Results:
    """Open to anyone, with no account: each search costs the index a full scan."""
    return Results(query=q, titles=[t for t in TITLES if q.lower() in t.lower()])
