# expect: the audit trail received
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import FastAPI, Path, Request, status
from pydantic import BaseModel, Field

from workbook.upstreams import audit_service_url

PENDING: list[dict[str, str]] = []  # audit entries, sent in one go at shut-down


class Order(BaseModel):
    sku: Annotated[str, Field(min_length=1, max_length=20)]
    quantity: Annotated[int, Field(ge=1, le=100)]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, list[dict[str, str]]]]:
    async with httpx.AsyncClient(base_url=audit_service_url(), timeout=5.0) as client:
        yield {"pending": PENDING}
        for entry in PENDING:  # sent, and kept: the next run sends it again
            await client.post("/v1/entries", json=entry)


app = FastAPI(title="Orders", lifespan=lifespan)


@app.post("/shops/{shop_id}/orders", status_code=status.HTTP_201_CREATED)
async def place_order(shop_id: Annotated[int, Path(ge=1)], order: Order, request: Request) -> Order:
    request.state.pending.append(
        {"action": f"order.placed:{order.sku}x{order.quantity}", "subject": f"shop:{shop_id}"}
    )
    return order
