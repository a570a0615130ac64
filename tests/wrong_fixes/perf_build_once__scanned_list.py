# expect: index everything once
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Request, status
from pydantic import BaseModel, TypeAdapter

from workbook.catalog import CATALOG_JSON  # the supplier's catalogue: 20,000 products as JSON


class Product(BaseModel):
    sku: str
    name: str
    cents: int
    tags: list[str]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, list[Product]]]:
    yield {"products": TypeAdapter(list[Product]).validate_python(json.loads(CATALOG_JSON))}


app = FastAPI(title="Catalogue", lifespan=lifespan)


@app.get("/products/{sku}")
async def read_product(sku: Annotated[str, Path(max_length=20)], request: Request) -> Product:
    for product in request.state.products:  # parsed once; searched from the top every time
        if product.sku == sku:
            return product
    raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such product")
