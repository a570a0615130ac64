from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Request, status
from pydantic import BaseModel, Field, field_validator

Name = Annotated[str, Field(min_length=1, max_length=40)]
Short = Annotated[str, Field(max_length=160)]


class Profile(BaseModel):
    """The whole profile: what GET returns and what PUT sends."""

    display_name: Name
    bio: Short | None = None
    website: Short | None = None
    location: Short | None = None


class ProfilePatch(BaseModel):
    """A change to a profile: any subset of its fields; null clears an optional one."""

    display_name: Name | None = None
    bio: Short | None = None
    website: Short | None = None
    location: Short | None = None

    @field_validator("display_name")
    @classmethod
    def display_name_stays(cls, value: str | None) -> str | None:
        # Run only when the client sent the field: sent as null, it would clear the name that
        # every profile must have. The error is located at the field itself.
        if value is None:
            raise ValueError("display_name cannot be cleared")
        return value


class ErrorMessage(BaseModel):
    detail: str


NO_SUCH_USER = {404: {"model": ErrorMessage, "description": "There is no user with this id"}}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.profiles = {
        1: Profile(display_name="Ada", bio="Counts engines", location="London"),
        2: Profile(display_name="Grace", website="https://example.org/grace"),
    }
    yield


app = FastAPI(title="Profiles", lifespan=lifespan)


def stored(request: Request, user_id: int) -> Profile:
    profile = request.app.state.profiles.get(user_id)
    if profile is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such user")
    return profile


@app.get("/users/{user_id}/profile", responses=NO_SUCH_USER)
async def read_profile(user_id: Annotated[int, Path(ge=1)], request: Request) -> Profile:
    return stored(request, user_id)


@app.put("/users/{user_id}/profile", responses=NO_SUCH_USER)
async def replace_profile(
    user_id: Annotated[int, Path(ge=1)], profile: Profile, request: Request
) -> Profile:
    stored(request, user_id)
    # A replacement: what the client left out goes back to its default; nothing old is kept.
    request.app.state.profiles[user_id] = profile
    return profile


@app.patch("/users/{user_id}/profile", responses=NO_SUCH_USER)
async def update_profile(
    user_id: Annotated[int, Path(ge=1)], patch: ProfilePatch, request: Request
) -> Profile:
    current = stored(request, user_id)
    # Only what the client sent (explicit nulls included), then the whole validated again.
    changes = patch.model_dump(exclude_unset=True)
    updated = Profile.model_validate(current.model_dump() | changes)
    request.app.state.profiles[user_id] = updated
    return updated
