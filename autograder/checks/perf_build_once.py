import json

from autograder.engine.checkkit import (
    body_of,
    expect_status,
    fastest_in_turns,
    require,
    rule,
    show,
)
from workbook.catalog import CATALOG_JSON

# A lookup answers in about a millisecond over the answer's socket; parsing and indexing the
# catalogue costs ten times that and more (timed here, on the same machine, at the same time).
# Half of it is the limit: a wide margin on both sides.
PARSE_SHARE = 0.5
LOOKUP_SAMPLES = 9


def parse_and_index() -> dict[str, object]:
    return {item["sku"]: item for item in json.loads(CATALOG_JSON)}


@rule("prod-1", hint="The product, as before: look it up, 404 when there is none.")
def test_products_are_found(learner_client):
    """GET /products/{sku} answers the product, and 404 for an unknown one"""
    response = learner_client.get("/products/SKU-00042")
    expect_status(response, 200, "GET /products/SKU-00042")
    require(
        isinstance(body_of(response), dict) and body_of(response).get("cents") == 100 + 42 * 37,
        f"GET /products/SKU-00042 answered {show(response)}.",
    )
    expect_status(learner_client.get("/products/NOPE-1"), 404, "GET /products/NOPE-1")


@rule(
    "prod-1",
    hint=(
        "Parse and index the catalogue once, when the app starts (in its lifespan), and let "
        "each request only look a product up."
    ),
)
def test_a_request_does_not_redo_the_app_work(learner_client):
    """a product lookup costs no more than a lookup: the catalogue is not parsed per request"""
    url = "/products/SKU-01234"
    learner_client.get(url)  # first-call costs (imports, caches) are not the work
    lookup, parse = fastest_in_turns(
        [lambda: learner_client.get(url), parse_and_index], samples=LOOKUP_SAMPLES
    )
    require(
        lookup <= PARSE_SHARE * parse,
        f"GET /products/SKU-01234 takes {lookup * 1000:.1f} ms; parsing and indexing the whole "
        f"catalogue takes {parse * 1000:.1f} ms on this machine (timed by the checks; the "
        f"fastest of {LOOKUP_SAMPLES} each, in turns). A lookup costing more than half of that "
        "does work again on every request (parsing, indexing or validating the catalogue) that "
        "the app could do once.",
    )
