# expect: The cache key joins the customer and the product
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from cachetools import TTLCache
from fastapi import Depends, FastAPI, Header, Path, Request
from pydantic import BaseModel

from workbook.upstreams import pricing_service_url


class Quote(BaseModel):
    sku: str
    cents: int


@asynccontextmanager
async def lifespan(app: FastAPI):
    async with httpx.AsyncClient(base_url=pricing_service_url(), timeout=5.0) as client:
        yield {"pricing": client, "prices": TTLCache(maxsize=32, ttl=1.0)}


app = FastAPI(title="Quotes", lifespan=lifespan)


def pricing(request: Request) -> httpx.AsyncClient:
    return request.state.pricing


Pricing = Annotated[httpx.AsyncClient, Depends(pricing)]
User = Annotated[str, Header(alias="X-User", min_length=1, max_length=80)]


@app.get("/quotes/{sku}")
async def quote(
    sku: Annotated[str, Path(max_length=40)], user: User, client: Pricing, request: Request
) -> Quote:
    prices: TTLCache = request.state.prices
    key = f"{user}:{sku}"  # the user is part of the key
    if key not in prices:
        response = await client.get("/v1/price", params={"sku": sku, "user": user})
        response.raise_for_status()
        prices[key] = response.json()["cents"]
    return Quote(sku=sku, cents=prices[key])
