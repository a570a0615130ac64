# expect: that is not there
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


def parse() -> dict[str, dict[str, object]]:
    return {item["sku"]: item for item in json.loads(CATALOG_JSON)}


index = parse()
app = FastAPI(title="Catalogue")


@app.get("/products/{sku}")
def read_product(sku: Annotated[str, Path(max_length=20)]) -> Product:
    if sku not in index:
        index.update(parse())  # the supplier may have added it since: read the catalogue again
    if sku not in index:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such product")
    return Product.model_validate(index[sku])
