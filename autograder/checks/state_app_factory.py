from autograder.engine.checkkit import body_of, expect_status, require, rule, show
from workbook.host.protocol import APP_CHOICE_HEADER

FIRST, SECOND = {APP_CHOICE_HEADER: "1"}, {APP_CHOICE_HEADER: "2"}


@rule("arch-2", hint="Each app keeps its carts as before: add, then read.")
def test_a_cart_keeps_what_is_added(learner_client):
    """an item added to a cart is in it afterwards"""
    added = learner_client.post("/carts/7/items", json={"sku": "TEA-1"}, headers=FIRST)
    expect_status(added, 201, "POST /carts/7/items")
    read = learner_client.get("/carts/7", headers=FIRST)
    expect_status(read, 200, "GET /carts/7")
    require("TEA-1" in (body_of(read).get("skus") or []), f"GET /carts/7 answered {show(read)}.")


@rule(
    "state-1",
    hint=(
        "A module global is one dict for every app the process builds. Yield the carts from a "
        'lifespan (`yield {"carts": {}}`) and read them through `request.state`.'
    ),
)
def test_two_apps_from_the_factory_share_nothing(learner_client):
    """two apps built by create_app() keep separate carts"""
    learner_client.post("/carts/3/items", json={"sku": "MUG-2"}, headers=FIRST)
    other = learner_client.get("/carts/3", headers=SECOND)
    require(
        other.status_code == 404,
        f"Two apps built by create_app() in one process: a cart filled in the first, and GET "
        f"/carts/3 on the second answered {show(other)}. They share state, so two tests (or two "
        "tenants) built from the factory see each other's data.",
    )


@rule(
    "state-1",
    hint=(
        "A new run of an app starts with what its lifespan yields: carts made by `create_app()` "
        "(on `app.state`, or in a closure) outlive every restart of that app."
    ),
)
def test_a_restarted_app_starts_empty(start_learner_app):
    """an app started and stopped once, then started again, has no carts"""
    filled = {"method": "POST", "url": "/carts/8/items", "json": {"sku": "TEA-1"}}
    app = start_learner_app(lifespan_cycles={"count": 1, "requests": [[filled]]})
    read = app.client.get("/carts/8", headers=FIRST)
    app.stop()
    require(
        read.status_code == 404,
        f"A cart filled while the app ran once, then the app stopped and started again (as a "
        f"server that restarts does): GET /carts/8 answered {show(read)}. The carts outlived "
        "the run: keep them in what the lifespan yields, which each run makes anew.",
    )
