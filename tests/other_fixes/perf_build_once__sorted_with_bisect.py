import bisect
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, TypedDict

from fastapi import Depends, FastAPI, HTTPException, Path, Request, status
from pydantic import BaseModel, TypeAdapter

from workbook.catalog import CATALOG_JSON  # the supplier's catalogue: 20,000 products as JSON


class Product(BaseModel):
    sku: str
    name: str
    cents: int
    tags: list[str]


class Catalogue(TypedDict):
    skus: list[str]
    products: list[Product]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Catalogue]]:
    # Sorted once by SKU; a lookup is a binary search (about 15 comparisons for 20,000).
    products = sorted(
        TypeAdapter(list[Product]).validate_python(json.loads(CATALOG_JSON)), key=lambda p: p.sku
    )
    yield {"catalogue": {"skus": [p.sku for p in products], "products": products}}


app = FastAPI(title="Catalogue", lifespan=lifespan)


def catalogue(request: Request) -> Catalogue:
    return request.state.catalogue


@app.get("/products/{sku}")
async def read_product(
    sku: Annotated[str, Path(max_length=20)], found: Annotated[Catalogue, Depends(catalogue)]
) -> Product:
    at = bisect.bisect_left(found["skus"], sku)
    if at == len(found["skus"]) or found["skus"][at] != sku:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such product")
    return found["products"][at]
