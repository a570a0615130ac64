# expect: `orm_mode` is a Pydantic 1 config key
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field


@dataclass
class UserRow:
    """What an ORM hands back: an object with attributes, not a dict."""

    id: int
    username: str
    email: str
    created_at: datetime


class UserCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    username: Annotated[str, Field(min_length=3, max_length=30)]
    email: Annotated[str, Field(max_length=254)]


class UserOut(BaseModel):
    model_config = ConfigDict(orm_mode=True)  # the old key, in the new place

    id: int
    username: str
    email: str
    created_at: datetime


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.rows = {}  # this app's user table: id -> UserRow
    yield


app = FastAPI(lifespan=lifespan)


@app.post("/users", status_code=201)
async def create_user(data: UserCreate, request: Request) -> UserOut:
    rows = request.app.state.rows
    row = UserRow(id=len(rows) + 1, username=data.username, email=data.email, created_at=datetime.now(UTC))
    rows[row.id] = row
    return UserOut.model_validate(row)


@app.get("/users/{user_id}")
async def read_user(user_id: int, request: Request) -> UserOut:
    row = request.app.state.rows.get(user_id)
    if row is None:
        raise HTTPException(status_code=404, detail="User not found")
    return UserOut.model_validate(row)
