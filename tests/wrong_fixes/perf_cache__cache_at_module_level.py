# expect: answered from the earlier run's cache
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, TypedDict

import httpx
from cachetools import TTLCache
from fastapi import Depends, FastAPI, Header, Path, Request
from pydantic import BaseModel

from workbook.upstreams import pricing_service_url


class Quote(BaseModel):
    sku: str
    cents: int


# A price is good for one second (the partner's terms), for one customer and one product.
PRICE_SECONDS = 1.0
CACHED_PRICES = 32  # the cache's bound: the oldest entries go first


# cachetools' TTLCache: an in-process dict with expiry and a size bound. No await happens
# while it is read or written, so requests on the event loop cannot interleave there.
PRICES: TTLCache[tuple[str, str], int] = TTLCache(maxsize=CACHED_PRICES, ttl=PRICE_SECONDS)


class State(TypedDict):
    pricing: httpx.AsyncClient
    prices: TTLCache[tuple[str, str], int]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    prices = PRICES
    async with httpx.AsyncClient(base_url=pricing_service_url(), timeout=5.0) as pricing:
        yield {"pricing": pricing, "prices": prices}


app = FastAPI(title="Quotes", lifespan=lifespan)


def pricing(request: Request) -> httpx.AsyncClient:
    return request.state.pricing


Pricing = Annotated[httpx.AsyncClient, Depends(pricing)]
User = Annotated[str, Header(alias="X-User", min_length=1, max_length=80)]


def price_cache(request: Request) -> TTLCache[tuple[str, str], int]:
    return request.state.prices


Prices = Annotated[TTLCache[tuple[str, str], int], Depends(price_cache)]


@app.get("/quotes/{sku}")
async def quote(
    sku: Annotated[str, Path(max_length=40)], user: User, client: Pricing, prices: Prices
) -> Quote:
    key = (user, sku)  # the user is part of the key: prices differ per customer
    if key not in prices:
        response = await client.get("/v1/price", params={"sku": sku, "user": user})
        response.raise_for_status()
        prices[key] = response.json()["cents"]
    return Quote(sku=sku, cents=prices[key])
