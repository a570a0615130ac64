# expect: a restart runs the app's lifespan again
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Literal

import httpx
from fastapi import FastAPI, HTTPException, Path
from pydantic import BaseModel

from workbook.upstreams import profile_service_url

profiles = httpx.AsyncClient(base_url=profile_service_url(), timeout=5.0)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await profiles.aclose()  # closed at shut-down: but it was opened only once, at import


app = FastAPI(title="Profiles", lifespan=lifespan)


class Profile(BaseModel):
    id: int
    name: str
    plan: Literal["free", "pro", "team"]


@app.get("/users/{user_id}/profile")
async def read_profile(user_id: Annotated[int, Path(gt=0)]) -> Profile:
    upstream = await profiles.get(f"/profiles/{user_id}")
    if upstream.status_code == 404:
        raise HTTPException(status_code=404, detail="User not found")
    upstream.raise_for_status()
    return Profile.model_validate(upstream.json())
