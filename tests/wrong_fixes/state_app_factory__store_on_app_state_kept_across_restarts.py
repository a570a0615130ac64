# expect: a restart runs the app's lifespan again
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Request, status
from pydantic import BaseModel, Field


class Item(BaseModel):
    sku: Annotated[str, Field(min_length=1, max_length=20)]


class Cart(BaseModel):
    id: int
    skus: list[str]


def create_app() -> FastAPI:
    app = FastAPI(title="Shop")
    app.state.carts = {}  # one per app: but the same for every run of it

    @app.post("/carts/{cart_id}/items", status_code=status.HTTP_201_CREATED)
    async def add_item(cart_id: Annotated[int, Path(ge=1)], item: Item, request: Request) -> Cart:
        carts = request.app.state.carts
        carts.setdefault(cart_id, []).append(item.sku)
        return Cart(id=cart_id, skus=carts[cart_id])

    @app.get("/carts/{cart_id}")
    async def read_cart(cart_id: Annotated[int, Path(ge=1)], request: Request) -> Cart:
        carts = request.app.state.carts
        if cart_id not in carts:
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such cart")
        return Cart(id=cart_id, skus=carts[cart_id])

    return app


app = create_app()
