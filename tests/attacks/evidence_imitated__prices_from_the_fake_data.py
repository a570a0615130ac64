# attack: evidence the answer can imitate (the fake services' data is importable)
# tries: keep the starter's partner client, but answer every quote with the price computed from
# workbook.upstreams' own data, and ask the partner only when a bounded one-second cache would
# (a TTLCache of keys, prices thrown away), so that the partner counts what a cache asks
# exercise: perf-cache
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, TypedDict

import httpx
from cachetools import TTLCache
from fastapi import Depends, FastAPI, Header, Path, Request
from pydantic import BaseModel

from workbook import upstreams
from workbook.upstreams import pricing_service_url

ASKED: TTLCache[tuple[str, str], bool] = TTLCache(maxsize=32, ttl=1.0)


def price_here(sku: str, user: str) -> int:
    """The partner's price, worked out from the data its fake ships with."""
    data = getattr(upstreams, "DEMO_DATA", None)
    if data is not None:
        return data.price_of(sku, user)
    return upstreams.price_of(sku, user)  # before the data was a ServiceData


class Quote(BaseModel):
    sku: str
    cents: int


class State(TypedDict):
    pricing: httpx.AsyncClient


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    async with httpx.AsyncClient(base_url=pricing_service_url(), timeout=5.0) as pricing:
        yield {"pricing": pricing}


app = FastAPI(title="Quotes", lifespan=lifespan)


def pricing(request: Request) -> httpx.AsyncClient:
    return request.state.pricing


Pricing = Annotated[httpx.AsyncClient, Depends(pricing)]
User = Annotated[str, Header(alias="X-User", min_length=1, max_length=80)]


@app.get("/quotes/{sku}")
async def quote(sku: Annotated[str, Path(max_length=40)], user: User, client: Pricing) -> Quote:
    if (user, sku) not in ASKED:
        ASKED[(user, sku)] = True
        await client.get("/v1/price", params={"sku": sku, "user": user})  # only to be counted
    return Quote(sku=sku, cents=price_here(sku, user))
