# expect: does work again on every request
import json
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


@app.get("/products/{sku}")
async def read_product(sku: Annotated[str, Path(max_length=20)]) -> Product:
    products = {item["sku"]: item for item in json.loads(CATALOG_JSON)}
    if sku not in products:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such product")
    return Product.model_validate(products[sku])
