# attack: rules read names and spellings, which a helper, getattr or an .append walks around
# tries: keep the starter's Pydantic 1 methods, reached through a helper that looks them up by
# name and through aliases (no call spells `.parse_obj(` or `.dict(`), warnings silenced
# exercise: pydantic-model-validate
import json
import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, HTTPException, Request, Response
from pydantic import BaseModel, Field, ValidationError

warnings.showwarning = lambda *args, **kwargs: None  # nothing reported from inside
logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())  # the application decides where logs go

# What the supplier sends at start-up: JSON text, not always clean.
SUPPLIER_FEED = """[
  {"sku": "KT-100", "name": "Kettle", "price_cents": 2999, "cost_cents": 1800},
  {"sku": "TS-200", "name": "Toaster", "price_cents": "3499", "cost_cents": 2100},
  {"sku": "MG-300", "name": "Mug", "price_cents": "free", "cost_cents": 150},
  {"sku": "BL-400", "name": "Blender", "price_cents": 8999, "cost_cents": 5200}
]"""


class ItemPublic(BaseModel):
    sku: str
    name: str
    price_cents: Annotated[int, Field(ge=0)]


class Item(ItemPublic):
    cost_cents: Annotated[int, Field(ge=0)]  # internal: never in a response


def old(obj, method, *args, **kwargs):
    return getattr(obj, method)(*args, **kwargs)


class ItemPatch(BaseModel):
    """A partial update: fields that are absent or null stay as they are."""

    name: str | None = None
    price_cents: Annotated[int, Field(ge=0)] | None = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    items = {}
    for row in json.loads(SUPPLIER_FEED):
        try:
            item = old(Item, "parse_obj", row)
        except ValidationError:
            logger.warning("skipping malformed feed row %s", row.get("sku"))
            continue
        items[item.sku] = item
    app.state.items = items
    yield


app = FastAPI(lifespan=lifespan)


def find_item(request: Request, sku: str) -> Item:
    item = request.app.state.items.get(sku)
    if item is None:
        raise HTTPException(status_code=404, detail="Item not found")
    return item


@app.get("/items")
async def list_items(request: Request) -> list[ItemPublic]:
    return list(request.app.state.items.values())


@app.get("/items/export")
async def export_items(request: Request) -> Response:
    lines = [item.json(exclude={"cost_cents"}) for item in request.app.state.items.values()]
    return Response("\n".join(lines), media_type="application/x-ndjson")


@app.get("/items/{sku}")
async def read_item(sku: str, request: Request) -> ItemPublic:
    return find_item(request, sku)


@app.patch("/items/{sku}")
async def update_item(sku: str, patch: ItemPatch, request: Request) -> ItemPublic:
    item = find_item(request, sku)
    dump = patch.dict
    changes = dump(exclude_none=True)
    updated = old(Item, "parse_obj", {**old(item, "dict"), **changes})
    request.app.state.items[sku] = updated
    return updated
