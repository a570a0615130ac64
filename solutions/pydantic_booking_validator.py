from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Self

from fastapi import FastAPI, Request
from pydantic import BaseModel, field_validator, model_validator

ROOM_TYPES = frozenset({"single", "double", "suite"})


class BookingCreate(BaseModel):
    room_type: str
    start_date: date
    end_date: date

    @field_validator("room_type")
    @classmethod
    def room_type_exists(cls, value: str) -> str:
        # One field, one rule. (`room_type: Literal["single", "double", "suite"]` says the same.)
        if value not in ROOM_TYPES:
            raise ValueError(f"room_type must be one of {', '.join(sorted(ROOM_TYPES))}")
        return value

    @model_validator(mode="after")
    def ends_after_it_starts(self) -> Self:
        # A rule about two fields belongs to the model: it runs once both are validated,
        # whatever order the fields are declared in.
        if self.end_date <= self.start_date:
            raise ValueError("end_date must be at least one day after start_date")
        return self


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
    # Only valid bookings get here: nights is always at least 1.
    bookings = request.app.state.bookings
    stored = BookingOut(
        id=len(bookings) + 1,
        nights=(booking.end_date - booking.start_date).days,
        **booking.model_dump(),
    )
    bookings.append(stored)
    return stored
