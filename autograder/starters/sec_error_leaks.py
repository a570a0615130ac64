"""A parcel shop: quotes and labels bought from a carrier, whose API key the shop holds.

Every error it answers tells the caller too much. Try GET /quotes?to=US&grams=500,
GET /quotes?to=SE&grams=500, POST /shipments with {"to": "US", "grams": 500}, and POST
/shipments with {"to": "DE", "grams": "<a token pasted into the wrong field>"}.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Annotated, TypedDict

import httpx
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from workbook.upstreams import carrier_service_url


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


app = FastAPI(title="Parcel shop", lifespan=lifespan, debug=True)


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
        reply.raise_for_status()
    except httpx.HTTPError as exc:
        raise HTTPException(status_code=500, detail=str(exc)) from exc
    rate = reply.json()
    return Quote(to=to, grams=grams, cents=rate["cents"] + HANDLING_FEES[to])


@app.post("/shipments", status_code=201, response_model=None)
async def ship(
    shipment: ShipmentIn, client: Carrier, settings: SettingsDep
) -> dict[str, object] | JSONResponse:
    key = settings.carrier_api_key.get_secret_value()
    reply = await client.post("/v1/labels", params={"key": key}, json=shipment.model_dump())
    if reply.status_code != 201:
        return JSONResponse(reply.json(), status_code=reply.status_code)
    return {"tracking": reply.json()["tracking"], "to": shipment.to, "grams": shipment.grams}
