# expect: stopped without waiting for
import asyncio
import itertools
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Request, status
from pydantic import BaseModel, Field

from workbook.upstreams import mailer_service_url


class SignupIn(BaseModel):
    email: Annotated[str, Field(min_length=3, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")]


class Member(BaseModel):
    id: int
    email: str


@asynccontextmanager
async def lifespan(app: FastAPI):
    async with httpx.AsyncClient(base_url=mailer_service_url(), timeout=10.0) as mailer:
        yield {"mailer": mailer, "ids": itertools.count(1)}


app = FastAPI(title="Signups", lifespan=lifespan)
PENDING_MAILS: set[asyncio.Task[None]] = set()  # kept, so that no task is garbage-collected


def mailer(request: Request) -> httpx.AsyncClient:
    return request.state.mailer


Mailer = Annotated[httpx.AsyncClient, Depends(mailer)]


async def send_welcome(client: httpx.AsyncClient, email: str) -> None:
    response = await client.post("/v1/send", json={"to": email, "subject": "Welcome!"})
    response.raise_for_status()


@app.post("/signups", status_code=status.HTTP_201_CREATED)
async def sign_up(signup: SignupIn, request: Request, client: Mailer) -> Member:
    member = Member(id=next(request.state.ids), email=signup.email)
    task = asyncio.create_task(send_welcome(client, member.email))
    PENDING_MAILS.add(task)
    task.add_done_callback(PENDING_MAILS.discard)
    return member
