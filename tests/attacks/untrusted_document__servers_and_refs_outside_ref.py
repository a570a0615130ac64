# attack: the trusted checker fetches what the answer's OpenAPI document points at
# tries: send the checks' generated requests elsewhere (servers at the document, path and
# operation level naming a loopback-only service), and reach files and that service through
# the spots an offline $ref check may not look: a discriminator's mapping, $recursiveRef, a
# remote $schema, a link's operationRef, a $ref nested under an extension and an allOf
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


def planted_openapi() -> dict:
    document = FastAPI.openapi(app)
    document["servers"] = [{"url": "__CANARY__"}]
    for path_item in document["paths"].values():
        path_item["servers"] = [{"url": "__CANARY__/path"}]
        for operation in path_item.values():
            if isinstance(operation, dict):
                operation["servers"] = [{"url": "__CANARY__/operation"}]
                for response in operation.get("responses", {}).values():
                    response["links"] = {
                        "next": {"operationRef": "file://__COURSE__/grader-canary.json"}
                    }
    schemas = document["components"]["schemas"]
    schemas["NoteIn"]["discriminator"] = {
        "propertyName": "title",
        "mapping": {
            "a": "file://__COURSE__/grader-canary.json",
            "b": "__CANARY__/mapping.json",
            "c": "source/03-api-design/03-api-design.ipynb",
        },
    }
    schemas["NoteIn"]["properties"]["title"] = {
        "$recursiveRef": "__CANARY__/recursive.json",
        "allOf": [{"x-more": {"$ref": "file://__COURSE__/grader-canary.json"}}],
        "type": "string",
    }
    schemas["NoteIn"]["$schema"] = "__CANARY__/meta-schema.json"
    schemas["Note"]["properties"]["body"] = {
        "$recursiveRef": "file://__COURSE__/grader-canary.json",
        "type": "string",
    }
    return document


app.openapi = planted_openapi
