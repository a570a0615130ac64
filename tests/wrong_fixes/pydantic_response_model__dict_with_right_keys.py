# expect: declares no response model
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


# The secrets are gone from the output, but only by hand: nothing declares or enforces it.
def public(user: dict) -> dict:
    return {"id": user["id"], "name": user["name"], "email": user["email"]}


@app.get("/users")
async def list_users(request: Request):
    return [public(user) for user in request.app.state.users.values()]


@app.get("/users/{user_id}")
async def read_user(user_id: int, request: Request):
    user = request.app.state.users.get(user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return public(user)
