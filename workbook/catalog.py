"""The product catalogue as a supplier sends it: one JSON document, large enough to cost.

Lesson 06's first exercise (and its load demo) parses it: once per request in the bad version,
once per app in the good one. The text is built here once, the same on every run.
"""

from __future__ import annotations

import json
import sys

PRODUCTS = 20_000


def _catalog(products: int = PRODUCTS) -> str:
    items = [
        {
            "sku": f"SKU-{n:05d}",
            "name": f"Product {n}",
            "cents": 100 + (n * 37) % 9_900,
            "tags": ["kitchen" if n % 3 else "garden", "sale" if n % 7 == 0 else "regular"],
        }
        for n in range(products)
    ]
    return json.dumps(items)


CATALOG_JSON = _catalog()


def catalogue_json(products: int) -> str:
    """The catalogue as the supplier would send it with ``products`` products (the first
    20,000 the same as ``CATALOG_JSON``'s): a larger input, as a test would hand the app."""
    return _catalog(products)


def serve_larger(app: object, products: int) -> bool:
    """Hand ``app`` a catalogue of ``products`` products from its next start, as a test suite's
    ``monkeypatch.setattr`` would: wherever the app's modules (or ``workbook.catalog``) bind the
    catalogue's text (the very object, whatever the name), the larger one is bound instead.
    Returns whether any binding was found (an app that parsed at import keeps what it has)."""
    old, larger = CATALOG_JSON, _catalog(products)
    functions = [getattr(route, "endpoint", None) for route in getattr(app, "routes", [])]
    functions.append(getattr(getattr(app, "router", None), "lifespan_context", None))
    modules = {getattr(f, "__module__", None) for f in functions} - {None} | {__name__}
    found = False
    for name in modules:
        namespace = vars(sys.modules[name]) if name in sys.modules else {}
        for key, value in list(namespace.items()):
            if value is old:
                namespace[key] = larger
                found = found or name != __name__
    return found
