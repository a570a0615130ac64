from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated

from fastapi import Depends, FastAPI, Path, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

# --- the domain: rules of booking, knowing nothing of HTTP ---------------------------------


class BookingError(Exception):
    """A booking rule was broken. str(error) is for the logs; `public` is for the guest."""

    public = "The booking cannot be made"


class RoomNotFound(BookingError):
    public = "There is no such room"


class RoomUnavailable(BookingError):
    public = "The room is taken on some of those nights"


class PaymentDeclined(BookingError):
    public = "The payment was declined"


class CardExpired(PaymentDeclined):
    public = "The card has expired"


class StayTooLong(BookingError):
    public = "A stay is at most 14 nights"


class Room(BaseModel):
    id: int
    name: str
    nightly_cents: int


class BookingIn(BaseModel):
    room_id: int
    check_in: date
    nights: Annotated[int, Field(ge=1)]
    card_token: Annotated[str, Field(min_length=4, max_length=40)]


class Booking(BookingIn):
    id: int
    total_cents: int


class BookingService:
    def __init__(self) -> None:
        self.rooms = {
            1: Room(id=1, name="Garden", nightly_cents=9_000),
            2: Room(id=2, name="Tower", nightly_cents=15_000),
        }
        self.bookings: list[Booking] = []

    def room(self, room_id: int) -> Room:
        room = self.rooms.get(room_id)
        if room is None:
            raise RoomNotFound(f"room {room_id} not in inventory table rooms_v2")
        return room

    def book(self, wanted: BookingIn) -> Booking:
        room = self.room(wanted.room_id)
        if wanted.nights > 14:
            raise StayTooLong(f"{wanted.nights} nights requested, policy LONG_STAY_MAX=14")
        nights = {wanted.check_in.toordinal() + n for n in range(wanted.nights)}
        for booking in self.bookings:
            taken = {booking.check_in.toordinal() + n for n in range(booking.nights)}
            if booking.room_id == room.id and nights & taken:
                raise RoomUnavailable(f"overlaps booking {booking.id} of {booking.card_token}")
        if wanted.card_token.startswith("expired"):
            raise CardExpired(f"provider said: card {wanted.card_token} expired 2029-11, rule R-09")
        if wanted.card_token.startswith("declined"):
            raise PaymentDeclined(
                f"provider said: card {wanted.card_token} refused, fraud score 97, rule R-17"
            )
        booking = Booking(
            id=len(self.bookings) + 1,
            total_cents=room.nightly_cents * wanted.nights,
            **wanted.model_dump(),
        )
        self.bookings.append(booking)
        return booking


# --- the HTTP side -------------------------------------------------------------------------


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.bookings = BookingService()
    yield


app = FastAPI(title="Hotel", lifespan=lifespan)


class ErrorMessage(BaseModel):
    detail: str


# Each kind of broken rule, as HTTP says it; any other BookingError is a plain 400.
STATUS_OF: dict[type[BookingError], int] = {
    RoomNotFound: status.HTTP_404_NOT_FOUND,
    PaymentDeclined: status.HTTP_402_PAYMENT_REQUIRED,
    RoomUnavailable: status.HTTP_409_CONFLICT,
}


def documented(*codes: int) -> dict[int | str, dict[str, object]]:
    return {code: {"model": ErrorMessage} for code in codes}


@app.exception_handler(BookingError)
async def booking_rule_broken(request: Request, error: BookingError) -> JSONResponse:
    # One place for the whole family; the guest reads `public`, never the log text.
    code = next(
        (STATUS_OF[kind] for kind in type(error).__mro__ if kind in STATUS_OF),
        status.HTTP_400_BAD_REQUEST,
    )
    return JSONResponse(status_code=code, content={"detail": error.public})


def booking_service(request: Request) -> BookingService:
    return request.app.state.bookings


Service = Annotated[BookingService, Depends(booking_service)]


@app.get("/rooms/{room_id}", responses=documented(404))
async def read_room(room_id: Annotated[int, Path(ge=1)], service: Service) -> Room:
    return service.room(room_id)


@app.post(
    "/bookings",
    status_code=status.HTTP_201_CREATED,
    responses=documented(400, 402, 404, 409),
)
async def create_booking(wanted: BookingIn, service: Service) -> Booking:
    return service.book(wanted)
