from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, Request, status
from pydantic import BaseModel, Field


class Item(BaseModel):
    sku: Annotated[str, Field(min_length=1, max_length=20)]


class Cart(BaseModel):
    id: int
    skus: list[str]


class CartStore:
    """The carts of one run of one app."""

    def __init__(self) -> None:
        self._carts: dict[int, list[str]] = {}

    def add(self, cart_id: int, sku: str) -> list[str]:
        self._carts.setdefault(cart_id, []).append(sku)
        return list(self._carts[cart_id])

    def get(self, cart_id: int) -> list[str] | None:
        found = self._carts.get(cart_id)
        return None if found is None else list(found)


def store(request: Request) -> CartStore:
    return request.state.store


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, CartStore]]:
        yield {"store": CartStore()}

    app = FastAPI(title="Shop", lifespan=lifespan)
    Store = Annotated[CartStore, Depends(store)]

    @app.post("/carts/{cart_id}/items", status_code=status.HTTP_201_CREATED)
    async def add_item(cart_id: Annotated[int, Path(ge=1)], item: Item, carts: Store) -> Cart:
        return Cart(id=cart_id, skus=carts.add(cart_id, item.sku))

    @app.get("/carts/{cart_id}")
    async def read_cart(cart_id: Annotated[int, Path(ge=1)], carts: Store) -> Cart:
        skus = carts.get(cart_id)
        if skus is None:
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such cart")
        return Cart(id=cart_id, skus=skus)

    return app


app = create_app()
