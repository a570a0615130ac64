from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, TypedDict

import httpx
from fastapi import Depends, FastAPI, Path, Request, status
from pydantic import BaseModel, Field

from workbook.upstreams import audit_service_url


class Order(BaseModel):
    sku: Annotated[str, Field(min_length=1, max_length=20)]
    quantity: Annotated[int, Field(ge=1, le=100)]


class AuditBuffer:
    """Audit entries kept in memory and sent in one go when the app stops."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.pending: list[dict[str, str]] = []

    def add(self, action: str, subject: str) -> None:
        self.pending.append({"action": action, "subject": subject})

    async def flush(self) -> None:
        while self.pending:
            await self.client.post("/v1/entries", json=self.pending.pop(0))


class State(TypedDict):
    audit: AuditBuffer


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    # Start-up above the yield, shut-down below it, in reverse order by construction: the
    # buffer is flushed while the client it needs is still open.
    async with httpx.AsyncClient(base_url=audit_service_url(), timeout=5.0) as client:
        audit = AuditBuffer(client)
        yield {"audit": audit}
        await audit.flush()


app = FastAPI(title="Orders", lifespan=lifespan)


def audit_buffer(request: Request) -> AuditBuffer:
    return request.state.audit


Audit = Annotated[AuditBuffer, Depends(audit_buffer)]


@app.post("/shops/{shop_id}/orders", status_code=status.HTTP_201_CREATED)
async def place_order(shop_id: Annotated[int, Path(ge=1)], order: Order, audit: Audit) -> Order:
    audit.add(f"order.placed:{order.sku}x{order.quantity}", f"shop:{shop_id}")
    return order
