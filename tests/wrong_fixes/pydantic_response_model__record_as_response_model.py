# expect: password_hash left the API
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel


def demo_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class User(BaseModel):
    id: int
    name: str
    email: str
    password_hash: str
    is_admin: bool


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.users = {
        1: User(id=1, name="Ada", email="ada@example.org",
                password_hash=demo_hash("analytical engine"), is_admin=True),
        2: User(id=2, name="Grace", email="grace@example.org",
                password_hash=demo_hash("cobol forever"), is_admin=False),
    }  # fmt: skip
    yield


app = FastAPI(lifespan=lifespan)


# One model for storage and for output: it validates, and it faithfully sends the hash.
@app.get("/users")
async def list_users(request: Request) -> list[User]:
    return list(request.app.state.users.values())


@app.get("/users/{user_id}")
async def read_user(user_id: int, request: Request) -> User:
    user = request.app.state.users.get(user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return user
