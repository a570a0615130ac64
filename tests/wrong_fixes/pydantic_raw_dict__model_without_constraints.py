# expect: an empty name
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

EMAIL_PATTERN = r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$"


# The shape is right, but every str is accepted: "" as a name, "x" as an e-mail.
class UserCreate(BaseModel):
    name: str
    email: str
    age: int | None = None


class UserOut(BaseModel):
    id: int
    name: str
    email: str
    age: int | None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.users = {}
    yield


app = FastAPI(lifespan=lifespan)


@app.post("/users", status_code=201)
async def create_user(data: UserCreate, request: Request) -> UserOut:
    users = request.app.state.users
    user = UserOut(id=len(users) + 1, **data.model_dump())
    users[user.id] = user
    return user


@app.get("/users/{user_id}")
async def read_user(user_id: int, request: Request) -> UserOut:
    user = request.app.state.users.get(user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return user
