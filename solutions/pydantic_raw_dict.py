from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

# The contract's rule for an e-mail address; use it as a Field pattern.
EMAIL_PATTERN = r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$"


class UserCreate(BaseModel):
    """What a client may send: nothing else gets through."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    email: Annotated[str, Field(pattern=EMAIL_PATTERN)]
    age: Annotated[int, Field(ge=0, le=150)] | None = None


class UserOut(BaseModel):
    """What the API promises to answer."""

    id: int
    name: str
    email: str
    age: int | None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.users = {}  # this app's user table: id -> UserOut
    yield


app = FastAPI(lifespan=lifespan)


@app.post("/users", status_code=201)
async def create_user(data: UserCreate, request: Request) -> UserOut:
    users: dict[int, UserOut] = request.app.state.users
    user = UserOut(id=len(users) + 1, **data.model_dump())
    users[user.id] = user
    return user


@app.get("/users/{user_id}")
async def read_user(user_id: int, request: Request) -> UserOut:
    user = request.app.state.users.get(user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return user
