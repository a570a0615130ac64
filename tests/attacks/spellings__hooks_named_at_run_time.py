# attack: rules read names and spellings, which a helper, getattr or an .append walks around
# tries: hand the starter's functions to a helper that reaches the router's hook lists by a
# name put together at run time, so no rule finds a spelling it knows
# exercise: state-lifespan-events
from typing import Annotated

import httpx
from fastapi import FastAPI, Path, Request, status
from pydantic import BaseModel, Field

from workbook.upstreams import audit_service_url


class Order(BaseModel):
    sku: Annotated[str, Field(min_length=1, max_length=20)]
    quantity: Annotated[int, Field(ge=1, le=100)]


async def open_audit() -> None:
    app.state.audit = httpx.AsyncClient(base_url=audit_service_url(), timeout=5.0)
    app.state.pending = []  # audit entries, sent in one go at shut-down


async def close_audit() -> None:
    await app.state.audit.aclose()


async def flush_audit() -> None:
    for entry in app.state.pending:
        await app.state.audit.post("/v1/entries", json=entry)


def wire(target, hook, handlers):
    getattr(target, hook).extend(handlers)


app = FastAPI(title="Orders")
wire(app.router, "".join(reversed("putrats_no")), [open_audit])
wire(app.router, "".join(reversed("nwodtuhs_no")), [flush_audit, close_audit])


@app.post("/shops/{shop_id}/orders", status_code=status.HTTP_201_CREATED)
async def place_order(shop_id: Annotated[int, Path(ge=1)], order: Order, request: Request) -> Order:
    request.app.state.pending.append(
        {"action": f"order.placed:{order.sku}x{order.quantity}", "subject": f"shop:{shop_id}"}
    )
    return order
