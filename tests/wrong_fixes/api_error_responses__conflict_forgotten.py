# expect: does not know 409 can come back
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Request, status
from pydantic import BaseModel, Field


class ErrorMessage(BaseModel):
    """What every error response of this API holds."""

    detail: str


NO_SUCH_TABLE = {404: {"model": ErrorMessage, "description": "There is no table with this id"}}
ALREADY_BOOKED = {409: {"model": ErrorMessage, "description": "The table is booked that day"}}


class Table(BaseModel):
    id: int
    seats: int


class ReservationIn(BaseModel):
    guest: Annotated[str, Field(min_length=1, max_length=60)]
    day: date


class Reservation(ReservationIn):
    table_id: int


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.tables = {1: Table(id=1, seats=2), 2: Table(id=2, seats=4), 3: Table(id=3, seats=6)}
    app.state.booked = {}  # (table id, day) -> Reservation
    yield


app = FastAPI(title="Reservations", lifespan=lifespan)


def find_table(request: Request, table_id: int) -> Table:
    table = request.app.state.tables.get(table_id)
    if table is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such table")
    return table


@app.get("/tables/{table_id}", responses=NO_SUCH_TABLE)
async def read_table(table_id: Annotated[int, Path(ge=1)], request: Request) -> Table:
    return find_table(request, table_id)


@app.post(
    "/tables/{table_id}/reservations",
    status_code=status.HTTP_201_CREATED,
    responses=NO_SUCH_TABLE,
)
async def reserve_table(
    table_id: Annotated[int, Path(ge=1)], reservation: ReservationIn, request: Request
) -> Reservation:
    find_table(request, table_id)
    key = (table_id, reservation.day)
    if key in request.app.state.booked:
        raise HTTPException(
            status_code=status.HTTP_409_CONFLICT, detail="The table is already booked that day"
        )
    booked = Reservation(table_id=table_id, **reservation.model_dump())
    request.app.state.booked[key] = booked
    return booked
