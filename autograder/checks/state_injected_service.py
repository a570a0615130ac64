from autograder.engine.checkkit import (
    body_of,
    expect_routes_ask_for,
    expect_status,
    require,
    rule,
    show,
)
from workbook.host.protocol import APP_CHOICE_HEADER

FIRST, SECOND = {APP_CHOICE_HEADER: "1"}, {APP_CHOICE_HEADER: "2"}


@rule("arch-4", hint="Quotes and the discount work as before, within one app.")
def test_a_discount_applies_to_later_quotes(learner_client):
    """a discount set on an app applies to its later quotes"""
    expect_status(
        learner_client.put("/discount", json={"percent": 10}, headers=FIRST), 200, "PUT /discount"
    )
    response = learner_client.get("/quotes/MUG-2", params={"quantity": 2}, headers=FIRST)
    expect_status(response, 200, "GET /quotes/MUG-2?quantity=2")
    require(
        body_of(response) == {"sku": "MUG-2", "quantity": 2, "total_cents": 2160},
        f"After a 10% discount, GET /quotes/MUG-2?quantity=2 answered {show(response)}; "
        "expected 2160 cents.",
    )
    learner_client.put("/discount", json={"percent": 0}, headers=FIRST)


@rule(
    "arch-4",
    hint=(
        "A module-level service is one object for every app in the process. Make it in the "
        "lifespan and hand it to routes with `Depends(get_price_book)`."
    ),
)
def test_apps_do_not_share_their_price_book(learner_client):
    """a discount set on one app does not change another app's quotes"""
    learner_client.put("/discount", json={"percent": 30}, headers=FIRST)
    other = learner_client.get("/quotes/TEA-1", headers=SECOND)
    learner_client.put("/discount", json={"percent": 0}, headers=FIRST)
    require(
        body_of(other) == {"sku": "TEA-1", "quantity": 1, "total_cents": 450},
        f"A 30% discount was set on one app built by create_app(); GET /quotes/TEA-1 on another "
        f"answered {show(other)} (450 cents without it). One module-level PriceBook serves both.",
    )


@rule(
    "arch-4",
    hint=(
        "Routes get the service from `get_price_book` (`PriceBookDep`), so a test can hand them "
        "another with `app.dependency_overrides[get_price_book]`."
    ),
)
def test_the_service_can_be_swapped(start_learner_app, learner_source):
    """with `get_price_book` overridden, the routes use the price book they are given"""
    expect_routes_ask_for(learner_source, "get_price_book", [("GET", "/quotes/{sku}")])
    values = {"prices": {"TEA-1": 999}, "discount_percent": 0}
    app = start_learner_app(
        {"get_price_book": {"kind": "model", "class": "PriceBook", "values": values, "keep": True}}
    )
    response = app.client.get("/quotes/TEA-1")
    require(
        body_of(response) == {"sku": "TEA-1", "quantity": 1, "total_cents": 999},
        f"With `get_price_book` overridden to a PriceBook pricing TEA-1 at 999, GET /quotes/TEA-1 "
        f"answered {show(response)}: the routes use a price book they found themselves.",
    )
    app.client.put("/discount", json={"percent": 20})
    discounted = app.client.get("/quotes/TEA-1")
    require(
        body_of(discounted) == {"sku": "TEA-1", "quantity": 1, "total_cents": 799},
        f"With `get_price_book` overridden by one PriceBook (TEA-1 at 999), PUT /discount 20% "
        f"and then GET /quotes/TEA-1 answered {show(discounted)}; 799 expected. The discount "
        "went to a price book the test did not hand in: both routes must take it from "
        "`get_price_book`.",
    )


@rule(
    "arch-4",
    hint=(
        "Each run of an app gets a new price book from its lifespan: one made by `create_app()` "
        "(on `app.state`, or in a closure) keeps an old discount through every restart."
    ),
)
def test_a_restarted_app_has_no_discount(start_learner_app):
    """an app started and stopped once with a discount, then started again, has none"""
    discounted = {"method": "PUT", "url": "/discount", "json": {"percent": 30}}
    app = start_learner_app(lifespan_cycles={"count": 1, "requests": [[discounted]]})
    quote = app.client.get("/quotes/TEA-1", headers=FIRST)
    app.stop()
    require(
        body_of(quote) == {"sku": "TEA-1", "quantity": 1, "total_cents": 450},
        f"A 30% discount set while the app ran once, then the app stopped and started again: "
        f"GET /quotes/TEA-1 answered {show(quote)} (450 cents without it). The price book "
        "outlived the run: make it in the lifespan, which each run makes anew.",
    )
