# expect: grows with the catalogue
import json
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, Request, status
from pydantic import BaseModel, TypeAdapter

from workbook.catalog import CATALOG_JSON  # the supplier catalogue: 20,000 products as JSON


class Product(BaseModel):
    sku: str
    name: str
    cents: int
    tags: list[str]


@asynccontextmanager
async def lifespan(app: FastAPI):
    products = TypeAdapter(list[Product]).validate_python(json.loads(CATALOG_JSON))
    yield {"products": {product.sku: product for product in products}}


app = FastAPI(title="Catalogue", lifespan=lifespan)


def catalogue(request: Request) -> dict[str, Product]:
    # A copy, so that no handler can change the shared index by accident.
    return dict(request.state.products)


Catalogue = Annotated[dict[str, Product], Depends(catalogue)]


@app.get("/products/{sku}")
async def read_product(sku: Annotated[str, Path(max_length=20)], products: Catalogue) -> Product:
    if sku not in products:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such product")
    return products[sku]
