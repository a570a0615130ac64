# expect: was still answered from the
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, TypedDict

import httpx
from fastapi import Depends, FastAPI, Header, Path, Request
from pydantic import BaseModel

from workbook.upstreams import pricing_service_url


class Quote(BaseModel):
    sku: str
    cents: int


# A price is good for one second (the partner's terms), for one customer and one product.
PRICE_SECONDS = 1.0


# Expiry written by hand: an old price is never served, but it is never removed either.
Prices = dict[tuple[str, str], tuple[float, int]]


class State(TypedDict):
    pricing: httpx.AsyncClient
    prices: Prices


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    prices: Prices = {}
    async with httpx.AsyncClient(base_url=pricing_service_url(), timeout=5.0) as pricing:
        yield {"pricing": pricing, "prices": prices}


app = FastAPI(title="Quotes", lifespan=lifespan)


def pricing(request: Request) -> httpx.AsyncClient:
    return request.state.pricing


Pricing = Annotated[httpx.AsyncClient, Depends(pricing)]
User = Annotated[str, Header(alias="X-User", min_length=1, max_length=80)]


def price_cache(request: Request) -> Prices:
    return request.state.prices


PriceCache = Annotated[Prices, Depends(price_cache)]


@app.get("/quotes/{sku}")
async def quote(
    sku: Annotated[str, Path(max_length=40)], user: User, client: Pricing, prices: PriceCache
) -> Quote:
    key = (user, sku)  # the user is part of the key: prices differ per customer
    stored = prices.get(key)
    if stored is None or time.monotonic() - stored[0] >= PRICE_SECONDS:
        response = await client.get("/v1/price", params={"sku": sku, "user": user})
        response.raise_for_status()
        stored = (time.monotonic(), response.json()["cents"])
        prices[key] = stored
    return Quote(sku=sku, cents=stored[1])
