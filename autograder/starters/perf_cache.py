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
    # Each customer has prices of their own; the partner takes 20 ms for every question.
    response = await client.get("/v1/price", params={"sku": sku, "user": user})
    response.raise_for_status()
    return Quote(sku=sku, cents=response.json()["cents"])
