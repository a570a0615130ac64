"""Lesson 07's headline demo: what an attacker learns from an account API, before and after.

Two versions of one small API (a member's account, read with a session cookie; a statement
fetched from a partner with an API key) are served by uvicorn on loopback, and
``attack`` plays three things an attacker does, over real HTTP:

- a page on another origin asks for the member's account with the member's cookie (what a
  browser allows it to read is what the CORS headers say);
- a request that makes the partner call fail (what the error answer tells);
- a login token sent in the wrong field (what the validation error echoes).

It reports what each answer gave away: bytes of the partner's API key, a traceback, the
token, and whether the page may read the account. The lesson prints it as a table.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import Cookie, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from workbook.load import served

FRONT_END = "https://app.example.com"
ATTACKER = "https://evil.example"
SESSION = "member-7-session"
log = logging.getLogger("workbook.security_demo")


class Transfer(BaseModel):
    to_account: Annotated[str, Field(min_length=4, max_length=34)]
    cents: Annotated[int, Field(gt=0)]


def partner_app() -> FastAPI:
    """A statement partner that is down: it answers 503 to everything."""
    partner = FastAPI(title="Statement partner (down)")

    @partner.get("/v1/statements/{member}")
    async def statement(member: str) -> JSONResponse:
        return JSONResponse({"error": "maintenance"}, status_code=503)

    return partner


def account_app(partner_url: str, api_key: str, *, fixed: bool) -> FastAPI:
    """The account API; ``fixed=False`` is the version the lesson starts from."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=partner_url, timeout=5.0) as partner:
            yield {"partner": partner}

    app = FastAPI(title="Accounts", lifespan=lifespan, debug=not fixed)
    if fixed:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[FRONT_END],
            allow_credentials=True,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
        )

        @app.exception_handler(RequestValidationError)
        async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
            fields = [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]} for e in error.errors()]
            return JSONResponse({"detail": fields}, status_code=422)
    else:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )

    @app.get("/me")
    async def me(session: Annotated[str | None, Cookie()] = None) -> dict[str, Any]:
        if session != SESSION:
            raise HTTPException(status_code=401, detail="Not signed in")
        return {"member": 7, "name": "Ada", "balance_cents": 120_450}

    @app.get("/statement")
    async def statement(request: Request) -> dict[str, Any]:
        partner: httpx.AsyncClient = request.state.partner
        response = await partner.get("/v1/statements/7", params={"api_key": api_key})
        if not fixed:
            response.raise_for_status()  # unhandled: debug=True answers with the traceback
            return dict(response.json())
        if response.is_error:
            request_id = uuid.uuid4().hex
            # The detail stays on the server, under the id the client is given.
            log.error("partner answered %s (request %s)", response.status_code, request_id)
            raise HTTPException(
                status_code=502,
                detail={"message": "The statement service is unavailable", "id": request_id},
            )
        return dict(response.json())

    @app.post("/transfers", status_code=201)
    async def transfer(body: Transfer) -> Transfer:
        return body

    return app


@dataclass
class Finding:
    attack: str
    status: int
    gave_away: str
    body_bytes: int


LEAK_RUN = 8  # a run this long of a secret's characters is no coincidence


def _secret_bytes(text: str, secret: str) -> int:
    """How many characters of ``secret`` the answer carries (its longest run, if that is at
    least ``LEAK_RUN`` long)."""
    longest = 0
    for start in range(len(secret)):
        for end in range(len(secret), start + longest, -1):
            if secret[start:end] in text:
                longest = max(longest, end - start)
                break
    return longest if longest >= LEAK_RUN else 0


def attack(base_url: str, api_key: str, token: str) -> list[Finding]:
    """What an attacker learns from the app at ``base_url``, over real HTTP."""
    findings = []
    # A connection per request: after an unhandled error uvicorn closes the connection it
    # answered on, and a reused one would be reset under the next request.
    headers = {"Connection": "close"}
    with httpx.Client(base_url=base_url, timeout=10.0, headers=headers) as client:
        read = client.get("/me", headers={"Origin": ATTACKER}, cookies={"session": SESSION})
        allowed = read.headers.get("access-control-allow-origin") == ATTACKER
        credentials = read.headers.get("access-control-allow-credentials") == "true"
        findings.append(
            Finding(
                "a page on evil.example reads the member's account",
                read.status_code,
                "the balance: the browser lets the page read it"
                if allowed and credentials
                else "nothing: the browser keeps the answer from the page",
                len(read.content),
            )
        )
        failed = client.get("/statement")
        leaked = _secret_bytes(failed.text, api_key)
        traceback = "Traceback" in failed.text
        gave = []
        if leaked:
            gave.append(f"{leaked} of the API key's {len(api_key)} characters")
        if traceback:
            gave.append("a traceback with file paths")
        findings.append(
            Finding(
                "the partner is down",
                failed.status_code,
                ", ".join(gave) or "nothing but a fixed message and an id",
                len(failed.content),
            )
        )
        sent = client.post("/transfers", json={"to_account": "NL91ABNA0417164300", "cents": token})
        echoed = token in sent.text
        findings.append(
            Finding(
                "a token pasted into the wrong field",
                sent.status_code,
                "the token, echoed back" if echoed else "which field is wrong, not its value",
                len(sent.content),
            )
        )
    return findings


class _Kept(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")


@contextmanager
def both_apps(api_key: str, server_log: list[str]) -> Iterator[dict[str, str]]:
    """The starting and the fixed account API, served on loopback: label -> base URL. What
    the servers log goes to ``server_log`` (one line per record) instead of the notebook."""
    kept = _Kept(server_log)
    loggers = [logging.getLogger(name) for name in ("uvicorn.error", log.name)]
    for logger in loggers:
        logger.addHandler(kept)
        logger.propagate = False
    try:
        with served(partner_app()) as partner_url:
            with (
                served(account_app(partner_url, api_key, fixed=False)) as bad,
                served(account_app(partner_url, api_key, fixed=True)) as good,
            ):
                yield {"as it was": bad, "fixed": good}
    finally:
        for logger in loggers:
            logger.removeHandler(kept)
            logger.propagate = True
