# expect: which is not a Pydantic model
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request


def demo_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.users = {
        1: {"id": 1, "name": "Ada", "email": "ada@example.org",
            "password_hash": demo_hash("analytical engine"), "is_admin": True},
        2: {"id": 2, "name": "Grace", "email": "grace@example.org",
            "password_hash": demo_hash("cobol forever"), "is_admin": False},
    }  # fmt: skip
    yield


app = FastAPI(lifespan=lifespan)


def public(user: dict[str, str | int | bool]) -> dict[str, str | int | bool]:
    return {key: user[key] for key in ("id", "name", "email")}


# A return annotation, but of dict: the response model documents no field and filters none.
@app.get("/users")
async def list_users(request: Request) -> list[dict[str, str | int | bool]]:
    return [public(user) for user in request.app.state.users.values()]


@app.get("/users/{user_id}")
async def read_user(user_id: int, request: Request) -> dict[str, str | int | bool]:
    user = request.app.state.users.get(user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return public(user)
