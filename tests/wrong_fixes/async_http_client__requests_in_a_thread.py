# expect: opened 3 new connections
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Literal

import httpx
import requests
from fastapi import FastAPI, HTTPException, Path, Request
from pydantic import BaseModel

from workbook.upstreams import profile_service_url


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    base_url = profile_service_url()
    app.state.profiles_url = base_url
    # One pooled client for the whole app: opened at start-up, closed at shut-down.
    async with httpx.AsyncClient(base_url=base_url, timeout=5.0) as client:
        app.state.profiles = client
        yield


app = FastAPI(lifespan=lifespan)


class Profile(BaseModel):
    id: int
    name: str
    plan: Literal["free", "pro", "team"]


@app.get("/users/{user_id}/profile")
async def read_profile(user_id: Annotated[int, Path(gt=0)], request: Request) -> Profile:
    url = f"{request.app.state.profiles_url}/profiles/{user_id}"
    # Off the loop, in a worker thread: no longer blocking, but still one new connection per call.
    upstream = await asyncio.to_thread(requests.get, url, timeout=5.0)
    if upstream.status_code == 404:
        raise HTTPException(status_code=404, detail="User not found")
    if upstream.status_code != 200:
        raise HTTPException(status_code=502, detail="The profile service is unavailable")
    return Profile.model_validate(upstream.json())
