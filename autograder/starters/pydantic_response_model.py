import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request


def demo_hash(secret: str) -> str:
    """A stand-in for a real password hash; good enough for demo data."""
    return hashlib.sha256(secret.encode()).hexdigest()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # This app's user table, as the database hands it over: every column, secrets included.
    app.state.users = {
        1: {"id": 1, "name": "Ada", "email": "ada@example.org",
            "password_hash": demo_hash("analytical engine"), "is_admin": True},
        2: {"id": 2, "name": "Grace", "email": "grace@example.org",
            "password_hash": demo_hash("cobol forever"), "is_admin": False},
    }  # fmt: skip
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/users")
async def list_users(request: Request):
    return list(request.app.state.users.values())


@app.get("/users/{user_id}")
async def read_user(user_id: int, request: Request):
    user = request.app.state.users.get(user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return user
