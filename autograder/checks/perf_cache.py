import time

from autograder.engine.checkkit import body_of, expect_status, require, rule, show
from autograder.engine.starvation import INCONCLUSIVE_PREFIX, MachineStarved

PRICE_SECONDS = 1.0  # how long the partner's terms say a price is good


def allowed_lookups(started: float) -> int:
    """Lookups a correct cache may make since ``started``: one per second of prices, so that
    a slow machine (requests taking longer than a price lives) is not held against it."""
    return 1 + int((time.monotonic() - started) // PRICE_SECONDS)


def _partners_quote(services, sku, user):
    return {"sku": sku, "cents": services.data.price_of(sku, user)}


def _quote(client, sku, user, services):
    """A quote, which must be the partner's price for that customer (this run's prices: an
    answer learns them only by asking the partner)."""
    response = client.get(f"/quotes/{sku}", headers={"X-User": user})
    expect_status(response, 200, f"GET /quotes/{sku} as {user}")
    expected = _partners_quote(services, sku, user)
    require(
        body_of(response) == expected,
        f"GET /quotes/{sku} as {user} answered {show(response)}; the pricing partner's price "
        f"for {user} is {expected['cents']} cents. Answer with the price the partner gave.",
    )
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
    started = time.monotonic()
    for _ in range(10):
        _quote(learner_client, "TEA-1", "ada", learner_services)
    allowed = allowed_lookups(started)
    asked = learner_services.price_lookups[("TEA-1", "ada")]
    require(
        1 <= asked <= allowed,
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
    started = time.monotonic()
    for user in ("grace", "linus", "grace", "linus"):
        response = learner_client.get("/quotes/MUG-2", headers={"X-User": user})
        expect_status(response, 200, f"GET /quotes/MUG-2 as {user}")
        expected = learner_services.data.price_of("MUG-2", user)
        require(
            body_of(response) == {"sku": "MUG-2", "cents": expected},
            f"GET /quotes/MUG-2 as {user} answered {show(response)}; {user}'s price is "
            f"{expected}. The cache handed out another customer's price.",
        )
    allowed = allowed_lookups(started)
    asked = {user: learner_services.price_lookups[("MUG-2", user)] for user in ("grace", "linus")}
    require(
        all(1 <= n <= allowed for n in asked.values()),
        f"Two quotes each for two customers asked the partner {asked} times per customer.",
    )


CACHE_BOUND = 32  # the lesson asks for a cache of at most 32 prices
FILL_PRICES = 48  # more than the bound, few enough to send well within a price's second
FILL_TRIES = 3


@rule(
    "mandate-6",
    hint=f"Bound the cache (`maxsize={CACHE_BOUND}`): the oldest prices go first when it is full.",
)
def test_the_cache_is_bounded(learner_client, learner_services):
    """after 48 other prices, the first one has left the cache"""
    # An expired price is asked again too, so the answer proves a bound only if the whole
    # sequence took less than a price lives; a busy machine gets another try with new keys.
    for attempt in range(1, FILL_TRIES + 1):
        first = f"FIRST-{attempt}"
        started = time.monotonic()
        _quote(learner_client, first, "bob", learner_services)
        filled, _ = learner_client.concurrently(
            [
                ("GET", f"/quotes/FILL-{attempt}-{n}", {"headers": {"X-User": "bob"}})
                for n in range(FILL_PRICES)
            ]
        )
        _quote(learner_client, first, "bob", learner_services)
        took = time.monotonic() - started
        if took < PRICE_SECONDS:
            break
    if took >= PRICE_SECONDS:  # nobody's failure: grading decides it again (starvation)
        raise MachineStarved(
            f"{INCONCLUSIVE_PREFIX}: {FILL_TRIES} tries to ask for {FILL_PRICES} prices within "
            f"a second (while the first was still good) took {took:.1f} s each time; this "
            "machine was too busy to tell whether the cache is bounded. The exercise is graded "
            "again; nothing needs to change in your answer for that."
        )
    wrong = [
        timed.response
        for n, timed in enumerate(filled)
        if body_of(timed.response)
        != _partners_quote(learner_services, f"FILL-{attempt}-{n}", "bob")
    ]
    require(
        not wrong,
        f"{len(wrong)} of {FILL_PRICES} quotes asked at once were not the partner's price "
        f"(the first answered {show(wrong[0]) if wrong else ''}). Answer with the price the "
        "partner gave.",
    )
    asked = learner_services.price_lookups[(first, "bob")]
    require(
        asked == 2,
        f"After {FILL_PRICES} other prices within a second, {first} was still answered from the "
        "cache: a cache without a bound grows with every customer and product until the "
        "process runs out of memory.",
    )
