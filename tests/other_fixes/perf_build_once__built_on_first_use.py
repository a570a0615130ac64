import json
from functools import lru_cache
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, status
from pydantic import BaseModel

from workbook.catalog import CATALOG_JSON  # the supplier's catalogue: 20,000 products as JSON


class Product(BaseModel):
    sku: str
    name: str
    cents: int
    tags: list[str]


app = FastAPI(title="Catalogue")


@lru_cache(maxsize=1)
def product_index() -> dict[str, dict[str, object]]:
    # Built by the first request that needs it, then kept.
    return {item["sku"]: item for item in json.loads(CATALOG_JSON)}


@app.get("/products/{sku}")
def read_product(sku: Annotated[str, Path(max_length=20)]) -> Product:
    products = product_index()
    if sku not in products:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such product")
    return Product.model_validate(products[sku])
