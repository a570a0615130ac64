"""Lesson 06's headline demo, also measured by `make bench`: the same product lookup, with the
catalogue parsed on every request (bad) and once, when the app starts (good)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request

from workbook.catalog import CATALOG_JSON

PATH = "/products/SKU-01234"


def parse_per_request_app() -> FastAPI:
    app = FastAPI(title="Catalogue, parsed per request")

    @app.get("/products/{sku}")
    def read_product(sku: str) -> dict[str, Any]:
        products = {item["sku"]: item for item in json.loads(CATALOG_JSON)}
        if sku not in products:
            raise HTTPException(status_code=404, detail="No such product")
        return products[sku]

    return app


def parse_once_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        yield {"products": {item["sku"]: item for item in json.loads(CATALOG_JSON)}}

    app = FastAPI(title="Catalogue, parsed once", lifespan=lifespan)

    @app.get("/products/{sku}")
    async def read_product(sku: str, request: Request) -> dict[str, Any]:
        products = request.state.products
        if sku not in products:
            raise HTTPException(status_code=404, detail="No such product")
        return products[sku]

    return app
