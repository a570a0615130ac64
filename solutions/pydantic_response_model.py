import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel


def demo_hash(secret: str) -> str:
    """A stand-in for a real password hash; good enough for demo data."""
    return hashlib.sha256(secret.encode()).hexdigest()


class UserPublic(BaseModel):
    """The contract: what any client may see of a user."""

    id: int
    name: str
    email: str


class UserRecord(UserPublic):
    """What the database holds. Never a response model."""

    password_hash: str
    is_admin: bool


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.users = {
        1: UserRecord(id=1, name="Ada", email="ada@example.org",
                      password_hash=demo_hash("analytical engine"), is_admin=True),
        2: UserRecord(id=2, name="Grace", email="grace@example.org",
                      password_hash=demo_hash("cobol forever"), is_admin=False),
    }  # fmt: skip
    yield


app = FastAPI(lifespan=lifespan)


# A UserRecord is a UserPublic, so returning one type-checks; FastAPI validates the value
# against the declared UserPublic and keeps only its fields.
@app.get("/users")
async def list_users(request: Request) -> list[UserPublic]:
    return list(request.app.state.users.values())


@app.get("/users/{user_id}")
async def read_user(user_id: int, request: Request) -> UserPublic:
    user = request.app.state.users.get(user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return user
