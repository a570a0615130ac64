# attack: the checker's memory (and stack) is the answer's to spend
# tries: answer every request, the OpenAPI document included, with 900 KB of JSON nested
# 450,000 deep (under the body cap), so that the checks' JSON parser runs out of stack in
# the trusted process and the submission goes ungraded instead of scoring 0
# exercise: api-status-codes
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Request, Response, status
from pydantic import BaseModel, Field


class NoteIn(BaseModel):
    title: Annotated[str, Field(min_length=1, max_length=80)]
    body: Annotated[str, Field(max_length=2000)] = ""


class Note(NoteIn):
    id: int


class ErrorMessage(BaseModel):
    detail: str


NOT_FOUND = {404: {"model": ErrorMessage, "description": "There is no note with this id"}}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.notes = {
        1: Note(id=1, title="Shopping", body="eggs, flour"),
        2: Note(id=2, title="Ideas"),
    }
    app.state.note_ids = itertools.count(3)
    yield


app = FastAPI(title="Notes", lifespan=lifespan)


@app.post("/notes")
async def create_note(note: NoteIn, request: Request) -> Note:
    created = Note(id=next(request.app.state.note_ids), **note.model_dump())
    request.app.state.notes[created.id] = created
    return created


@app.get("/notes/{note_id}", responses=NOT_FOUND)
async def read_note(note_id: Annotated[int, Path(ge=1)], request: Request) -> Note:
    note = request.app.state.notes.get(note_id)
    if note is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Note not found")
    return note


@app.delete("/notes/{note_id}", responses=NOT_FOUND)
async def delete_note(note_id: Annotated[int, Path(ge=1)], request: Request) -> Response:
    if request.app.state.notes.pop(note_id, None) is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Note not found")
    return Response(status_code=204)


NESTED = b"[" * 450_000 + b"]" * 450_000


class NestedBeyondTheStack:
    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(NESTED))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": NESTED})


app.add_middleware(NestedBeyondTheStack)
