from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Request, status
from pydantic import BaseModel, Field


class ErrorMessage(BaseModel):
    """The body of every error this API answers, as HTTPException sends it."""

    detail: str


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


def find_table(table_id: Annotated[int, Path(ge=1)], request: Request) -> Table:
    table = request.app.state.tables.get(table_id)
    if table is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such table")
    return table


FoundTable = Annotated[Table, Depends(find_table)]

# Every route under /tables/{table_id} looks the table up first, so each can answer 404:
# declared once on the router, which adds it to every operation it holds.
tables = APIRouter(
    prefix="/tables/{table_id}",
    responses={
        status.HTTP_404_NOT_FOUND: {
            "model": ErrorMessage,
            "description": "There is no table with this id",
        }
    },
)


@tables.get("")
async def read_table(table: FoundTable) -> Table:
    return table


@tables.post(
    "/reservations",
    status_code=status.HTTP_201_CREATED,
    responses={
        status.HTTP_409_CONFLICT: {
            "model": ErrorMessage,
            "description": "The table is already booked that day",
        }
    },
)
async def reserve_table(
    table: FoundTable, reservation: ReservationIn, request: Request
) -> Reservation:
    key = (table.id, reservation.day)
    if key in request.app.state.booked:
        raise HTTPException(
            status_code=status.HTTP_409_CONFLICT, detail="The table is already booked that day"
        )
    booked = Reservation(table_id=table.id, **reservation.model_dump())
    request.app.state.booked[key] = booked
    return booked


app = FastAPI(title="Reservations", lifespan=lifespan)
app.include_router(tables)
