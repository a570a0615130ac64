from autograder.engine.checkkit import body_of, expect_status, request_cost, require, rule, show

# A request that only looks a product up costs well under a millisecond beyond the app's
# cheapest answer; parsing the catalogue again costs about 20 ms. Between the two, a wide
# margin: more than 8 ms, and more than three times the cheapest answer itself.
WORK_LIMIT_SECONDS = 0.008


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
    cost = request_cost(learner_client, "GET", "/products/SKU-01234")
    require(
        cost.work <= max(WORK_LIMIT_SECONDS, 3 * cost.baseline),
        f"GET /products/SKU-01234 takes {cost.endpoint * 1000:.1f} ms (the fastest of 15); "
        "the app's cheapest answer, from the same process over the same socket, "
        f"{cost.baseline * 1000:.1f} ms. The {cost.work * 1000:.0f} ms in between is work done "
        "again on every request: the same catalogue parsed and indexed each time.",
    )
