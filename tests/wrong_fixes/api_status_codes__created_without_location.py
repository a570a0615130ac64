# expect: no Location header
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Request, status
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


@app.post("/notes", status_code=status.HTTP_201_CREATED)
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


@app.delete("/notes/{note_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_note(note_id: Annotated[int, Path(ge=1)], request: Request) -> None:
    if request.app.state.notes.pop(note_id, None) is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Note not found")
