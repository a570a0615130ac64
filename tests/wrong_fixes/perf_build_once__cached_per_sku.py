# expect: a SKU not asked before
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


@lru_cache(maxsize=4096)
def find(sku: str) -> Product | None:
    # Each answer kept: the second time a SKU is asked, nothing is parsed.
    products = {item["sku"]: item for item in json.loads(CATALOG_JSON)}
    return Product.model_validate(products[sku]) if sku in products else None


@app.get("/products/{sku}")
def read_product(sku: Annotated[str, Path(max_length=20)]) -> Product:
    product = find(sku)
    if product is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such product")
    return product
