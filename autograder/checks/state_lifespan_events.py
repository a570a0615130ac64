from autograder.engine.checkkit import body_of, expect_status, require, rule, show


@rule("state-2", hint="Orders are still answered 201 with the order.")
def test_orders_are_placed(learner_client):
    """POST /shops/{id}/orders answers 201 with the order"""
    response = learner_client.post("/shops/4/orders", json={"sku": "TEA-1", "quantity": 2})
    expect_status(response, 201, "POST /shops/4/orders")
    require(
        body_of(response) == {"sku": "TEA-1", "quantity": 2},
        f"POST /shops/4/orders answered {show(response)}.",
    )


@rule(
    "state-2",
    hint=(
        "In a lifespan, shut-down is the code after `yield`, inside the `async with` that "
        "opened the client: flush there, and the client is still open."
    ),
)
def test_the_audit_trail_gets_every_entry_at_shut_down(start_learner_app, learner_services):
    """stopped after three orders, the app has sent all three audit entries"""
    earlier = {"method": "POST", "url": "/shops/8/orders", "json": {"sku": "POT-3", "quantity": 1}}
    app = start_learner_app(lifespan_cycles={"count": 1, "requests": [[earlier]]})
    for quantity in (1, 2, 3):
        placed = app.client.post("/shops/9/orders", json={"sku": "MUG-2", "quantity": quantity})
        expect_status(placed, 201, "POST /shops/9/orders")
    ended = app.stop()
    entries = learner_services.audit_entries_for("shop:9")
    require(
        len(entries) == 3,
        f"Three orders, then the app was stopped as a server stops it: the audit trail received "
        f"{len(entries)} of the 3 entries{_how(ended)}. The flush needs the client, so it must "
        "run before the client is closed: in a lifespan, after `yield` and still inside the "
        "`async with` that opened it.",
    )
    again = learner_services.audit_entries_for("shop:8")
    require(
        len(again) == 1,
        f"One order in an earlier run of the app (started and stopped before it served), then "
        f"the app served and stopped again: the trail received {len(again)} entries for that "
        "one order. A buffer that outlives its run sends its entries at every shut-down; make "
        "it in the lifespan, so that each run has its own.",
    )


def _how(ended):
    return "" if not ended or "status 0" in ended else f" (its process: {ended})"
