# expect: it ends three days before it starts
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

from fastapi import FastAPI, Request
from pydantic import BaseModel, ValidationInfo, field_validator

ROOM_TYPES = frozenset({"single", "double", "suite"})


class BookingCreate(BaseModel):
    room_type: str
    start_date: date
    end_date: date

    @field_validator("end_date")
    @classmethod
    def end_after_start(cls, value: date, info: ValidationInfo) -> date:
        # Looks like validation; checks nothing.
        return value

    @field_validator("room_type")
    @classmethod
    def valid_room_type(cls, value: str) -> str:
        return value


class BookingOut(BaseModel):
    id: int
    room_type: str
    start_date: date
    end_date: date
    nights: int


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.bookings = []  # this app's booking table
    yield


app = FastAPI(lifespan=lifespan)


@app.post("/bookings", status_code=201)
async def create_booking(booking: BookingCreate, request: Request) -> BookingOut:
    bookings = request.app.state.bookings
    stored = BookingOut(
        id=len(bookings) + 1,
        nights=(booking.end_date - booking.start_date).days,
        **booking.model_dump(),
    )
    bookings.append(stored)
    return stored
