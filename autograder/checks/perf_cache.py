from autograder.engine.checkkit import body_of, expect_status, require, rule, show
from workbook.upstreams import price_of


def _quote(client, sku, user):
    response = client.get(f"/quotes/{sku}", headers={"X-User": user})
    expect_status(response, 200, f"GET /quotes/{sku} as {user}")
    return response


@rule(
    "mandate-6",
    hint=(
        "Keep each price you fetched, for as long as it is good: a `cachetools.TTLCache` in "
        "the app's state, looked up before asking the partner."
    ),
)
def test_the_same_question_is_asked_once(learner_client, learner_services):
    """ten identical quotes in a row ask the pricing partner once"""
    for _ in range(10):
        _quote(learner_client, "TEA-1", "ada")
    asked = learner_services.price_lookups[("TEA-1", "ada")]
    require(
        asked == 1,
        f"Ten quotes for TEA-1, for the same customer within a second, asked the pricing partner "
        f"{asked} times; each time costs 20 ms of the partner's time and the customer's. The "
        "price is good for a second: ask once, keep it.",
    )


@rule(
    "mandate-6",
    hint=(
        "The key is everything the answer depends on: the customer and the product, "
        "`(user, sku)`, never the product alone."
    ),
)
def test_customers_never_get_each_others_prices(learner_client, learner_services):
    """two customers asking for one product each get their own price"""
    for user in ("grace", "linus", "grace", "linus"):
        response = _quote(learner_client, "MUG-2", user)
        expected = price_of("MUG-2", user)
        require(
            body_of(response) == {"sku": "MUG-2", "cents": expected},
            f"GET /quotes/MUG-2 as {user} answered {show(response)}; {user}'s price is "
            f"{expected}. The cache handed out another customer's price.",
        )
    asked = {user: learner_services.price_lookups[("MUG-2", user)] for user in ("grace", "linus")}
    require(asked == {"grace": 1, "linus": 1}, f"The partner was asked {asked} times per customer.")
