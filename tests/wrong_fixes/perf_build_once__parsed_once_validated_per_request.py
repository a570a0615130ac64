# expect: does work again on every request
import json
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, status
from pydantic import BaseModel, TypeAdapter

from workbook.catalog import CATALOG_JSON  # the supplier's catalogue: 20,000 products as JSON


class Product(BaseModel):
    sku: str
    name: str
    cents: int
    tags: list[str]


RAW_PRODUCTS = json.loads(CATALOG_JSON)  # parsed once
app = FastAPI(title="Catalogue")
PRODUCT_LIST = TypeAdapter(list[Product])


@app.get("/products/{sku}")
def read_product(sku: Annotated[str, Path(max_length=20)]) -> Product:
    products = {product.sku: product for product in PRODUCT_LIST.validate_python(RAW_PRODUCTS)}
    if sku not in products:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such product")
    return products[sku]
