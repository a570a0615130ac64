# expect: the body tells what failed
"""Debug off and a JSON 500 with a request id, but the body carries the exception's text."""

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Annotated, TypedDict

import httpx
from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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


app = FastAPI(title="Parcel shop", lifespan=lifespan)  # debug stays off: no traceback leaves


@app.exception_handler(Exception)
async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """Any error nobody planned for: the whole story in the log, a fixed answer to the caller,
    and an id that finds one in the other."""
    request_id = uuid.uuid4().hex
    log.exception("request %s: %s %s failed", request_id, request.method, request.url.path)
    return JSONResponse(
        {"detail": f"{type(exc).__name__}: {exc}", "request_id": request_id},
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


@app.exception_handler(RequestValidationError)
async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """Where and why a request was refused, never what it carried: `input` (and `ctx`, which
    can quote it) echo whatever was sent, a password in the wrong field included."""
    errors = [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


CARRIER_DOWN = "The carrier is not answering; please try again later."


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
    # The partner's body is not read, logged or passed on: it repeats the key it was called with.
    log.warning("the carrier answered %s for %s", reply.status_code, reply.request.url.path)
    return HTTPException(status.HTTP_502_BAD_GATEWAY, detail=CARRIER_DOWN)


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
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, detail=CARRIER_DOWN) from None
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
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, detail=CARRIER_DOWN) from None
    if reply.status_code != status.HTTP_201_CREATED:
        raise carrier_failed(reply)
    return Shipment(tracking=reply.json()["tracking"], to=shipment.to, grams=shipment.grams)
