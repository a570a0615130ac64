# expect: still open after its last shut-down
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Literal, TypedDict

import httpx
from fastapi import Depends, FastAPI, HTTPException, Path, Request
from pydantic import BaseModel

from workbook.upstreams import profile_service_url


class State(TypedDict):
    profiles: httpx.AsyncClient


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    profiles = httpx.AsyncClient(base_url=profile_service_url(), timeout=5.0)
    yield {"profiles": profiles}


app = FastAPI(title="Profiles", lifespan=lifespan)


def profile_client(request: Request) -> httpx.AsyncClient:
    return request.state.profiles


Profiles = Annotated[httpx.AsyncClient, Depends(profile_client)]


class Profile(BaseModel):
    id: int
    name: str
    plan: Literal["free", "pro", "team"]


@app.get("/users/{user_id}/profile")
async def read_profile(user_id: Annotated[int, Path(gt=0)], profiles: Profiles) -> Profile:
    upstream = await profiles.get(f"/profiles/{user_id}")
    if upstream.status_code == 404:
        raise HTTPException(status_code=404, detail="User not found")
    upstream.raise_for_status()
    return Profile.model_validate(upstream.json())
