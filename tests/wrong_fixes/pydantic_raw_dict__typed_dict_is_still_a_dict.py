# expect: expected 422
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

EMAIL_PATTERN = r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$"


class UserOut(BaseModel):
    id: int
    name: str | None
    email: str | None
    age: int | None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.users = {}
    yield


app = FastAPI(lifespan=lifespan)


# dict[str, ...] is typed, but it is still a dict: it says nothing about which keys must exist.
@app.post("/users", status_code=201)
async def create_user(data: dict[str, str | int | None], request: Request) -> UserOut:
    users = request.app.state.users
    user = UserOut(id=len(users) + 1, name=data.get("name"), email=data.get("email"), age=data.get("age"))
    users[user.id] = user
    return user


@app.get("/users/{user_id}")
async def read_user(user_id: int, request: Request) -> UserOut:
    user = request.app.state.users.get(user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return user
