# expect: still open after its last shut-down
from typing import Annotated, Literal

import httpx
from fastapi import FastAPI, HTTPException, Path, Request
from pydantic import BaseModel

from workbook.upstreams import profile_service_url


async def open_profiles() -> None:
    app.state.profiles = httpx.AsyncClient(base_url=profile_service_url(), timeout=5.0)


app = FastAPI(title="Profiles", on_startup=[open_profiles])


class Profile(BaseModel):
    id: int
    name: str
    plan: Literal["free", "pro", "team"]


@app.get("/users/{user_id}/profile")
async def read_profile(user_id: Annotated[int, Path(gt=0)], request: Request) -> Profile:
    upstream = await request.app.state.profiles.get(f"/profiles/{user_id}")
    if upstream.status_code == 404:
        raise HTTPException(status_code=404, detail="User not found")
    upstream.raise_for_status()
    return Profile.model_validate(upstream.json())
