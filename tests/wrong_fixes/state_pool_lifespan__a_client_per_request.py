# expect: connections to the profile service
from collections.abc import AsyncIterator
from typing import Annotated, Literal

import httpx
from fastapi import Depends, FastAPI, HTTPException, Path
from pydantic import BaseModel

from workbook.upstreams import profile_service_url

app = FastAPI(title="Profiles")


async def profile_client() -> AsyncIterator[httpx.AsyncClient]:
    # Closed after every request, so nothing is left open: and nothing is pooled either.
    async with httpx.AsyncClient(base_url=profile_service_url(), timeout=5.0) as client:
        yield client


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
