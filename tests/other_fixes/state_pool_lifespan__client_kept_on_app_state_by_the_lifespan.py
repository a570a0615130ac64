from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Literal

import httpx
from fastapi import Depends, FastAPI, HTTPException, Path, Request
from pydantic import BaseModel

from workbook.upstreams import profile_service_url


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Made by every start-up and closed by its shut-down: app.state holds this run's client.
    app.state.profiles = httpx.AsyncClient(base_url=profile_service_url(), timeout=5.0)
    try:
        yield
    finally:
        await app.state.profiles.aclose()


app = FastAPI(title="Profiles", lifespan=lifespan)


def profile_client(request: Request) -> httpx.AsyncClient:
    return request.app.state.profiles


class Profile(BaseModel):
    id: int
    name: str
    plan: Literal["free", "pro", "team"]


@app.get("/users/{user_id}/profile")
async def read_profile(
    user_id: Annotated[int, Path(gt=0)],
    profiles: Annotated[httpx.AsyncClient, Depends(profile_client)],
) -> Profile:
    upstream = await profiles.get(f"/profiles/{user_id}")
    if upstream.status_code == 404:
        raise HTTPException(status_code=404, detail="User not found")
    upstream.raise_for_status()
    return Profile.model_validate(upstream.json())
