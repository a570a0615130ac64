import html
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypedDict

from fastapi import Depends, FastAPI, HTTPException, Path, Request, status
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # the application decides where logs go


class NoteIn(BaseModel):
    title: Annotated[str, Field(min_length=1, max_length=80)]
    body: Annotated[str, Field(max_length=2000)] = ""


class Note(NoteIn):
    id: int


class NoteNotFound(BaseModel):
    detail: str


def render(text: str) -> str:
    """A note's text as HTML: escaped, with **bold** spans. A lone `**` is a bug it raises."""
    parts = html.escape(text).split("**")
    if len(parts) % 2 == 0:
        raise ValueError(f"renderer v2: unbalanced ** in {len(text)} chars (notes_rev table)")
    return "".join(f"<strong>{part}</strong>" if n % 2 else part for n, part in enumerate(parts))


class State(TypedDict):
    notes: dict[int, Note]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    notes = {
        1: Note(id=1, title="Welcome", body="Notes are **private** until shared."),
        2: Note(id=2, title="Shopping", body="eggs, flour, **butter**"),
        3: Note(id=3, title="Draft", body="a **broken draft"),  # the renderer fails on it
    }
    yield {"notes": notes}


app = FastAPI(title="Shared notes", lifespan=lifespan)


# --- what an unhandled error answers ---------------------------------------------------------


class ErrorBoundary:
    """Pure ASGI, added first so that it is the innermost middleware: an unhandled error
    becomes a generic 500 sent through `send`, so every layer outside decorates it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if started:  # too late for another answer: the server closes the connection
                raise
            answer = JSONResponse({"detail": "Internal Server Error"}, status_code=500)
            await answer(scope, receive, send)


app.add_middleware(ErrorBoundary)  # added first: the innermost middleware


# --- what every answer carries ---------------------------------------------------------------

# An API answers JSON and one small HTML page without scripts or styles: it needs nothing.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# FastAPI's /docs page loads Swagger UI from its CDN and starts it with one inline script.
DOCS_POLICY = (
    "default-src 'none'; script-src https://cdn.jsdelivr.net 'unsafe-inline'; "
    "style-src https://cdn.jsdelivr.net; img-src https://fastapi.tiangolo.com data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect")
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(), microphone=(), camera=()"),
]
OURS = {name for name, _ in HEADERS} | {b"content-security-policy"}


class SecurityHeaders:
    """Pure ASGI: the headers go on every response start that passes through, whoever made it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_POLICY if scope["path"] in DOCS_PATHS else API_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in OURS]
                csp = (b"content-security-policy", policy.encode())
                message = {**message, "headers": [*kept, *HEADERS, csp]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


app.add_middleware(SecurityHeaders)  # added last: the outermost, so it sees every answer


async def notes_of(request: Request) -> dict[int, Note]:
    return request.state.notes


Notes = Annotated[dict[int, Note], Depends(notes_of)]
NoteId = Annotated[int, Path(ge=1)]
MISSING: dict[int | str, dict[str, Any]] = {404: {"model": NoteNotFound}}


def note_in(notes: dict[int, Note], note_id: int) -> Note:
    note = notes.get(note_id)
    if note is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such note")
    return note


@app.post("/notes", status_code=status.HTTP_201_CREATED)
async def create_note(wanted: NoteIn, notes: Notes) -> Note:
    note = Note(id=max(notes, default=0) + 1, **wanted.model_dump())
    notes[note.id] = note
    return note


@app.get("/notes/{note_id}", responses=MISSING)
async def read_note(note_id: NoteId, notes: Notes) -> Note:
    return note_in(notes, note_id)


@app.get("/notes/{note_id}/preview", response_class=HTMLResponse, responses=MISSING)
async def preview_note(note_id: NoteId, notes: Notes) -> HTMLResponse:
    note = note_in(notes, note_id)
    page = f"<!DOCTYPE html><title>{html.escape(note.title)}</title><p>{render(note.body)}</p>"
    return HTMLResponse(page)
