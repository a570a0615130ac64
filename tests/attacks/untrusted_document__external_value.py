# attack: the trusted checker fetches what the answer's OpenAPI document points at
# tries: name external examples (OpenAPI's externalValue) for the request body, through FastAPI's
# own openapi_examples: a grader's file, the course's notebook and a loopback-only service, which
# schemathesis downloads and sends as bodies that the app then quotes back in its answers
# exercise: api-status-codes
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Body, FastAPI, HTTPException, Path, Request, Response, status
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


FETCHED = {
    "grader": {"summary": "a grader's file", "externalValue": "file://__COURSE__/grader-canary.json"},
    "course": {"externalValue": "source/03-api-design/03-api-design.ipynb"},
    "loopback": {"summary": "only the grader reaches it", "externalValue": "__CANARY__/body.json"},
}


@app.post("/notes")
async def create_note(
    note: Annotated[NoteIn, Body(openapi_examples=FETCHED)], request: Request
) -> Note:
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
