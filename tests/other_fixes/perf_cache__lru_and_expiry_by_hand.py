import time
from collections import OrderedDict
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
CACHED_PRICES = 32  # the cache's bound: the oldest entries go first


class PriceCache:
    """Expiry and a bound written by hand: the least recently used price goes first."""

    def __init__(self, size: int, seconds: float) -> None:
        self.size, self.seconds = size, seconds
        self.entries: OrderedDict[tuple[str, str], tuple[float, int]] = OrderedDict()

    def get(self, key: tuple[str, str]) -> int | None:
        entry = self.entries.get(key)
        if entry is None or time.monotonic() - entry[0] >= self.seconds:
            self.entries.pop(key, None)
            return None
        self.entries.move_to_end(key)
        return entry[1]

    def put(self, key: tuple[str, str], cents: int) -> None:
        self.entries[key] = (time.monotonic(), cents)
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


class State(TypedDict):
    pricing: httpx.AsyncClient
    prices: PriceCache


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    prices = PriceCache(CACHED_PRICES, PRICE_SECONDS)
    async with httpx.AsyncClient(base_url=pricing_service_url(), timeout=5.0) as pricing:
        yield {"pricing": pricing, "prices": prices}


app = FastAPI(title="Quotes", lifespan=lifespan)


def pricing(request: Request) -> httpx.AsyncClient:
    return request.state.pricing


Pricing = Annotated[httpx.AsyncClient, Depends(pricing)]
User = Annotated[str, Header(alias="X-User", min_length=1, max_length=80)]


def price_cache(request: Request) -> PriceCache:
    return request.state.prices


Prices = Annotated[PriceCache, Depends(price_cache)]


@app.get("/quotes/{sku}")
async def quote(
    sku: Annotated[str, Path(max_length=40)], user: User, client: Pricing, prices: Prices
) -> Quote:
    key = (user, sku)  # the user is part of the key: prices differ per customer
    cents = prices.get(key)
    if cents is None:
        response = await client.get("/v1/price", params={"sku": sku, "user": user})
        response.raise_for_status()
        cents = response.json()["cents"]
        prices.put(key, cents)
    return Quote(sku=sku, cents=cents)
