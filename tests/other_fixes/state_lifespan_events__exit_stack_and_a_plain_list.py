from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Path, Request, status
from pydantic import BaseModel, Field

from workbook.upstreams import audit_service_url


class Order(BaseModel):
    sku: Annotated[str, Field(min_length=1, max_length=20)]
    quantity: Annotated[int, Field(ge=1, le=100)]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, list[dict[str, str]]]]:
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(
            httpx.AsyncClient(base_url=audit_service_url(), timeout=5.0)
        )
        pending: list[dict[str, str]] = []

        async def flush() -> None:
            sent, pending[:] = list(pending), []
            for entry in sent:
                await client.post("/v1/entries", json=entry)

        stack.push_async_callback(flush)  # callbacks run last in, first out: before the close
        yield {"pending": pending}


app = FastAPI(title="Orders", lifespan=lifespan)


def pending_entries(request: Request) -> list[dict[str, str]]:
    return request.state.pending


@app.post("/shops/{shop_id}/orders", status_code=status.HTTP_201_CREATED)
async def place_order(
    shop_id: Annotated[int, Path(ge=1)],
    order: Order,
    pending: Annotated[list[dict[str, str]], Depends(pending_entries)],
) -> Order:
    pending.append(
        {"action": f"order.placed:{order.sku}x{order.quantity}", "subject": f"shop:{shop_id}"}
    )
    return order
