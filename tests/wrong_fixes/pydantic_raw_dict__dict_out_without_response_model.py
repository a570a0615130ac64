# expect: declares no response model
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

EMAIL_PATTERN = r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$"


class UserCreate(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    email: Annotated[str, Field(pattern=EMAIL_PATTERN)]
    age: Annotated[int, Field(ge=0, le=150)] | None = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.users = {}
    yield


app = FastAPI(lifespan=lifespan)


# The input is a model now, but the output is still a hand-built dict with no declared model.
@app.post("/users", status_code=201)
async def create_user(data: UserCreate, request: Request):
    users = request.app.state.users
    user = {"id": len(users) + 1, "name": data.name, "email": data.email, "age": data.age}
    users[user["id"]] = user
    return user


@app.get("/users/{user_id}")
async def read_user(user_id: int, request: Request):
    user = request.app.state.users.get(user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return user
