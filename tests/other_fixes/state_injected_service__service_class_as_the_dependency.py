from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, status
from pydantic import BaseModel, Field

PRICES = {"TEA-1": 450, "MUG-2": 1200, "POT-3": 3900}  # cents


class Quote(BaseModel):
    sku: str
    quantity: int
    total_cents: int


class Discount(BaseModel):
    percent: Annotated[int, Field(ge=0, le=50)]


class PriceBook:
    """The pricing service: list prices and the discount of the day."""

    def __init__(self, prices: dict[str, int], discount_percent: int = 0) -> None:
        self.prices = dict(prices)
        self.discount_percent = discount_percent

    def quote(self, sku: str, quantity: int) -> Quote | None:
        if sku not in self.prices:
            return None
        total = self.prices[sku] * quantity * (100 - self.discount_percent) // 100
        return Quote(sku=sku, quantity=quantity, total_cents=total)


async def get_price_book(request: Request) -> PriceBook:
    book = request.state.services["prices"]
    assert isinstance(book, PriceBook)
    return book


def create_app(prices: dict[str, int] | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, dict[str, PriceBook]]]:
        yield {"services": {"prices": PriceBook(prices or PRICES)}}

    app = FastAPI(title="Prices", lifespan=lifespan)

    @app.get("/quotes/{sku}")
    async def quote(
        sku: Annotated[str, Path(max_length=20)],
        book: Annotated[PriceBook, Depends(get_price_book)],
        quantity: Annotated[int, Query(ge=1, le=1000)] = 1,
    ) -> Quote:
        if (found := book.quote(sku, quantity)) is None:
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such product")
        return found

    @app.put("/discount")
    async def set_discount(
        discount: Discount, book: Annotated[PriceBook, Depends(get_price_book)]
    ) -> Discount:
        book.discount_percent = discount.percent
        return discount

    return app


app = create_app()
