from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from pydantic import BaseModel

from workbook.fakes import AsyncCache, LegacyGeocoder


class Location(BaseModel):
    address: str
    latitude: float
    longitude: float


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.geocoder = LegacyGeocoder()  # the vendor's SDK: blocking, no async version
    app.state.locations = AsyncCache[Location]()  # async, like a Redis client
    yield


app = FastAPI(lifespan=lifespan)


def get_geocoder(request: Request) -> LegacyGeocoder:
    return request.app.state.geocoder


def get_cache(request: Request) -> AsyncCache[Location]:
    return request.app.state.locations


@app.get("/geocode")
async def geocode(
    address: Annotated[str, Query(min_length=3, max_length=200)],
    geocoder: Annotated[LegacyGeocoder, Depends(get_geocoder)],
    cache: Annotated[AsyncCache[Location], Depends(get_cache)],
) -> Location:
    cached = await cache.get(address)
    if cached is not None:
        return cached
    point = geocoder.lookup(address)
    location = Location(address=address, latitude=point.latitude, longitude=point.longitude)
    await cache.set(address, location)
    return location
