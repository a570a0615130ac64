# expect: GET /carts/7 answered 404
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, TypedDict

from fastapi import FastAPI, HTTPException, Path, Request, status
from pydantic import BaseModel, Field


class Item(BaseModel):
    sku: Annotated[str, Field(min_length=1, max_length=20)]


class Cart(BaseModel):
    id: int
    skus: list[str]


class State(TypedDict):
    carts: dict[int, list[str]]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    yield {"carts": {}}


def create_app() -> FastAPI:
    app = FastAPI(title="Shop", lifespan=lifespan)

    @app.post("/carts/{cart_id}/items", status_code=status.HTTP_201_CREATED)
    async def add_item(cart_id: Annotated[int, Path(ge=1)], item: Item, request: Request) -> Cart:
        # A new dict assigned to request.state: uvicorn gives each request its own copy of the
        # lifespan state, so the assignment is gone when the request ends.
        carts = request.state.carts
        skus = [*carts.get(cart_id, []), item.sku]
        request.state.carts = {**carts, cart_id: skus}
        return Cart(id=cart_id, skus=skus)

    @app.get("/carts/{cart_id}")
    async def read_cart(cart_id: Annotated[int, Path(ge=1)], request: Request) -> Cart:
        carts = request.state.carts
        if cart_id not in carts:
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such cart")
        return Cart(id=cart_id, skus=carts[cart_id])

    return app


app = create_app()
