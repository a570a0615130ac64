import json

from autograder.engine import cost
from autograder.engine.checkkit import body_of, expect_status, require, rule, show
from workbook.catalog import CATALOG_JSON

# A lookup answers in about a millisecond over the answer's socket; parsing and indexing the
# catalogue costs ten times that and more (timed here, on the same machine, at the same time).
# Half of it is the limit: a wide margin on both sides.
PARSE_SHARE = 0.5
LOOKUP_SAMPLES = 9
# A SKU asked again first (as the starter's every request costs a parse, it fails there at
# once); then one never asked before and one that is not in the catalogue: an app that caches
# per key, or parses again on a miss, is cheap only for the first kind. Such work costs a whole
# parse or more, so fewer samples decide it.
REPEATED = {"SKU-01234 (asked again)": cost.repeated("/products/SKU-01234")}
NEW_KEYS = {
    "a SKU not asked before": cost.fresh("/products/SKU-{:05d}", range(5_000, 5_020)),
    "a SKU that is not there": cost.fresh("/products/NOPE-{}", range(100, 120)),
}
NEW_KEY_SAMPLES = 5


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
    """a lookup of any SKU costs no more than a lookup: the catalogue is not parsed per request"""
    for kinds, samples in ((REPEATED, LOOKUP_SAMPLES), (NEW_KEYS, NEW_KEY_SAMPLES)):
        (lookups,), (parse,) = cost.costs_by_kind(
            [learner_client], kinds, samples, yardsticks=[parse_and_index]
        )
        for kind, lookup in lookups.items():
            require(
                lookup <= PARSE_SHARE * parse,
                f"GET /products/... for {kind} takes {lookup * 1000:.1f} ms; parsing and "
                f"indexing the whole catalogue takes {parse * 1000:.1f} ms on this machine "
                f"(timed by the checks; the fastest of {samples} each, in turns, each new SKU "
                "asked for the first time). A lookup costing more than half of that does work "
                "again on every request (parsing, indexing or validating the catalogue, for "
                "every new SKU or every miss) that the app could do once.",
            )
