# expect: They share state
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, TypedDict

from fastapi import Depends, FastAPI, HTTPException, Path, Request, status
from pydantic import BaseModel, Field


class Item(BaseModel):
    sku: Annotated[str, Field(min_length=1, max_length=20)]


class Cart(BaseModel):
    id: int
    skus: list[str]


class CartStore:
    carts: dict[int, list[str]] = {}  # noqa: RUF012


class State(TypedDict):
    carts: dict[int, list[str]]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    yield {"carts": CartStore().carts}


def carts_of(request: Request) -> dict[int, list[str]]:
    return request.state.carts


Carts = Annotated[dict[int, list[str]], Depends(carts_of)]


def create_app() -> FastAPI:
    app = FastAPI(title="Shop", lifespan=lifespan)

    @app.post("/carts/{cart_id}/items", status_code=status.HTTP_201_CREATED)
    async def add_item(cart_id: Annotated[int, Path(ge=1)], item: Item, carts: Carts) -> Cart:
        carts.setdefault(cart_id, []).append(item.sku)
        return Cart(id=cart_id, skus=carts[cart_id])

    @app.get("/carts/{cart_id}")
    async def read_cart(cart_id: Annotated[int, Path(ge=1)], carts: Carts) -> Cart:
        if cart_id not in carts:
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such cart")
        return Cart(id=cart_id, skus=carts[cart_id])

    return app


app = create_app()
