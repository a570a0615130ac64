import html
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypedDict

from fastapi import Depends, FastAPI, HTTPException, Path, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

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


@app.exception_handler(Exception)
async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    log.error("unhandled error in %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse({"detail": "Internal Server Error"}, status_code=500)


# --- what every answer carries ---------------------------------------------------------------


@app.middleware("http")
async def security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return response


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
    # The one answer that is a page a browser renders: it gets a policy of its own.
    return HTMLResponse(page, headers={"Content-Security-Policy": "default-src 'none'"})
