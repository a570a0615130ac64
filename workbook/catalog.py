"""The product catalogue as a supplier sends it: one JSON document, large enough to cost.

Lesson 06's first exercise (and its load demo) parses it: once per request in the bad version,
once per app in the good one. The text is built here once, the same on every run.
"""

from __future__ import annotations

import json

PRODUCTS = 20_000


def _catalog() -> str:
    items = [
        {
            "sku": f"SKU-{n:05d}",
            "name": f"Product {n}",
            "cents": 100 + (n * 37) % 9_900,
            "tags": ["kitchen" if n % 3 else "garden", "sale" if n % 7 == 0 else "regular"],
        }
        for n in range(PRODUCTS)
    ]
    return json.dumps(items)


CATALOG_JSON = _catalog()
