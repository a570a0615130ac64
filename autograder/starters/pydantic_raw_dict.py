from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request

# The contract's rule for an e-mail address; use it as a Field pattern.
EMAIL_PATTERN = r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.users = {}  # this app's user table: id -> user
    yield


app = FastAPI(lifespan=lifespan)


@app.post("/users", status_code=201)
async def create_user(data: dict, request: Request) -> dict:
    users = request.app.state.users
    user = {
        "id": len(users) + 1,
        "name": data.get("name"),
        "email": data.get("email"),
        "age": data.get("age"),
    }
    users[user["id"]] = user
    return user


@app.get("/users/{user_id}")
async def read_user(user_id: int, request: Request) -> dict:
    user = request.app.state.users.get(user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return user
