"""A request id for every request (X-Request-ID on each answer), quoted by the 500 body."""

import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Annotated, TypedDict

import httpx
from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from workbook.upstreams import carrier_service_url

log = logging.getLogger("parcel_shop")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    carrier_api_key: SecretStr


@lru_cache
def get_settings() -> Settings:
    return Settings()


SettingsDep = Annotated[Settings, Depends(get_settings)]

# The shop's handling fee per country, on top of the carrier's rate.
HANDLING_FEES = {"AT": 90, "BE": 90, "DE": 50, "ES": 120, "FR": 90, "IT": 120, "NL": 90, "PL": 110}


class State(TypedDict):
    carrier: httpx.AsyncClient


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    async with httpx.AsyncClient(base_url=carrier_service_url(), timeout=5.0) as carrier:
        yield {"carrier": carrier}


app = FastAPI(title="Parcel shop", lifespan=lifespan)


@app.middleware("http")
async def request_id(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    request.state.request_id = secrets.token_urlsafe(12)
    response = await call_next(request)
    response.headers["X-Request-ID"] = request.state.request_id
    return response


@app.exception_handler(Exception)
async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    rid = getattr(request.state, "request_id", None) or secrets.token_urlsafe(12)
    log.error("request_id=%s unexpected error", rid, exc_info=exc)
    return JSONResponse({"message": "Something went wrong.", "requestId": rid}, 500)


@app.exception_handler(RequestValidationError)
async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    safe = [{"type": e["type"], "loc": e["loc"], "msg": e["msg"]} for e in exc.errors()]
    return JSONResponse(status_code=422, content={"detail": safe})


def carrier(request: Request) -> httpx.AsyncClient:
    return request.state.carrier


Carrier = Annotated[httpx.AsyncClient, Depends(carrier)]


class Quote(BaseModel):
    to: str
    grams: int
    cents: int


class ShipmentIn(BaseModel):
    to: Annotated[str, Field(min_length=2, max_length=2)]
    grams: Annotated[int, Field(ge=1, le=30_000)]


class Shipment(BaseModel):
    tracking: str
    to: str
    grams: int


def carrier_failed(reply: httpx.Response) -> HTTPException:
    log.warning("carrier failed with %s", reply.status_code)
    return HTTPException(502, "Shipping partner unavailable")


@app.get("/quotes")
async def quote(
    to: Annotated[str, Query(min_length=2, max_length=2)],
    grams: Annotated[int, Query(ge=1, le=30_000)],
    client: Carrier,
    settings: SettingsDep,
) -> Quote:
    key = settings.carrier_api_key.get_secret_value()
    try:
        reply = await client.get("/v1/rates", params={"to": to, "grams": grams, "key": key})
    except httpx.TransportError as exc:
        # Its text names the URL, key and all: the type is enough for the log.
        log.warning("the carrier could not be reached: %s", type(exc).__name__)
        raise HTTPException(
            status.HTTP_502_BAD_GATEWAY, detail="Shipping partner unavailable"
        ) from None
    if reply.status_code != status.HTTP_200_OK:
        raise carrier_failed(reply)
    rate = reply.json()
    return Quote(to=to, grams=grams, cents=rate["cents"] + HANDLING_FEES[to])


@app.post("/shipments", status_code=status.HTTP_201_CREATED)
async def ship(shipment: ShipmentIn, client: Carrier, settings: SettingsDep) -> Shipment:
    key = settings.carrier_api_key.get_secret_value()
    try:
        reply = await client.post("/v1/labels", params={"key": key}, json=shipment.model_dump())
    except httpx.TransportError as exc:
        log.warning("the carrier could not be reached: %s", type(exc).__name__)
        raise HTTPException(
            status.HTTP_502_BAD_GATEWAY, detail="Shipping partner unavailable"
        ) from None
    if reply.status_code != status.HTTP_201_CREATED:
        raise carrier_failed(reply)
    return Shipment(tracking=reply.json()["tracking"], to=shipment.to, grams=shipment.grams)
