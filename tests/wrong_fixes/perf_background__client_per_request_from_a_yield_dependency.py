# expect: one per mail, twice in a row
import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, TypedDict

import httpx
from fastapi import BackgroundTasks, Depends, FastAPI, Request, status
from pydantic import BaseModel, Field

from workbook.upstreams import mailer_service_url


class SignupIn(BaseModel):
    email: Annotated[str, Field(min_length=3, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")]


class Member(BaseModel):
    id: int
    email: str


class State(TypedDict):
    ids: Iterator[int]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    yield {"ids": itertools.count(1)}


app = FastAPI(title="Signups", lifespan=lifespan)


async def mailer() -> AsyncIterator[httpx.AsyncClient]:
    # Closed once the request (and its background tasks) are done.
    async with httpx.AsyncClient(base_url=mailer_service_url(), timeout=10.0) as client:
        yield client


Mailer = Annotated[httpx.AsyncClient, Depends(mailer)]


async def send_welcome(client: httpx.AsyncClient, email: str) -> None:
    response = await client.post("/v1/send", json={"to": email, "subject": "Welcome!"})
    response.raise_for_status()


@app.post("/signups", status_code=status.HTTP_201_CREATED)
async def sign_up(
    signup: SignupIn, request: Request, client: Mailer, background: BackgroundTasks
) -> Member:
    member = Member(id=next(request.state.ids), email=signup.email)
    # Sent after the response: the member does not wait for the mail provider.
    background.add_task(send_welcome, client, member.email)
    return member
