# attack: a yardstick measured inside the answer's own process
# tries: make the host's probe (once the "cheapest answer" a request's cost was measured
# against) as slow as parsing the catalogue, so that the unfixed starter looks cheap
# exercise: perf-build-once
import asyncio
import json
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, status
from pydantic import BaseModel

import workbook.host.answer as host
from workbook.catalog import CATALOG_JSON

host.PROBE_PATH = "/__workbook__/answered-by-the-app-instead"


class Product(BaseModel):
    sku: str
    name: str
    cents: int
    tags: list[str]


app = FastAPI(title="Catalogue")


@app.get("/__workbook__/probe", status_code=204)
async def probe() -> None:
    await asyncio.sleep(0.03)


@app.get("/products/{sku}")
def read_product(sku: Annotated[str, Path(max_length=20)]) -> Product:
    products = {item["sku"]: item for item in json.loads(CATALOG_JSON)}
    if sku not in products:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such product")
    return Product.model_validate(products[sku])
