# attack: rules read names and spellings, which a helper, getattr or an .append walks around
# tries: keep the starter's start-up and shut-down functions (no lifespan), added in place to
# the app's own router lists: `+=` for one, a slice assignment for the other (no .append,
# .extend or keyword for a rule to read)
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


app = FastAPI(title="Orders")
hooks = app.router
hooks.on_startup += [open_audit]
hooks.on_shutdown[len(hooks.on_shutdown) :] = [flush_audit, close_audit]


@app.post("/shops/{shop_id}/orders", status_code=status.HTTP_201_CREATED)
async def place_order(shop_id: Annotated[int, Path(ge=1)], order: Order, request: Request) -> Order:
    request.app.state.pending.append(
        {"action": f"order.placed:{order.sku}x{order.quantity}", "subject": f"shop:{shop_id}"}
    )
    return order
