import time
from urllib.parse import quote

import pytest

from autograder.engine.checkkit import body_of, counted, expect_status, require, rule, show
from autograder.engine.starvation import INCONCLUSIVE_PREFIX, MachineStarved
from autograder.engine.timeline import Timeline

PRICE_SECONDS = 1.0  # how long the partner's terms say a price is good


def allowed_lookups(started: float) -> int:
    """Lookups a correct cache may make since ``started``: one per second of prices, so that
    a slow machine (requests taking longer than a price lives) is not held against it."""
    return 1 + int((time.monotonic() - started) // PRICE_SECONDS)


@pytest.fixture(autouse=True)
def _partner_answers_quickly(learner_services):
    """These rows count the partner's lookups, they do not time them: its 20 ms would only
    make the learner wait longer for the verdict."""
    with learner_services.quick_partners():
        yield


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
        "Two quotes each for two customers asked the pricing partner "
        + ", ".join(f"{n} time{'s' * (n != 1)} for {user}" for user, n in asked.items())
        + f"; each customer's price is asked once and kept (at most {allowed} "
        + f"time{'s' * (allowed != 1)} each, "
        "one per second the quotes took).",
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


EXPIRY_USER = "ada"


def _expiry_lookups(services, ask, tag):
    """Two prices fetched at 0 s; the first read again at 0.65 s; both read at 1.3 s (a price
    lives 1 s). ``ask(at, sku)`` sends one quote at that moment. The partner's lookups of the
    one read in between and of the one left alone."""
    read, left = f"EXP-{tag}-READ", f"EXP-{tag}-LEFT"
    for at, sku in ((0.0, read), (0.0, left), (0.65, read), (1.3, read), (1.3, left)):
        response = ask(at, sku)
        expected = {"sku": sku, "cents": services.data.price_of(sku, EXPIRY_USER)}
        require(
            response.status_code == 200 and body_of(response) == expected,
            f"GET /quotes/{sku} as {EXPIRY_USER} answered {response.status_code} "
            f"{response.text[:120]}; expected {expected}.",
        )
    lookups = services.price_lookups
    return lookups[(read, EXPIRY_USER)], lookups[(left, EXPIRY_USER)]


@rule(
    "mandate-6",
    hint=(
        "A price is good for one second from when the partner gave it: after that, ask the "
        "partner again, however often it was read meanwhile (a read never refreshes it)."
    ),
)
def test_prices_expire(learner_client, learner_services):
    """a price is fetched again a second after it was fetched, even one read in between"""
    headers = {"X-User": EXPIRY_USER}
    timeline = Timeline(learner_client)  # the answer's clock, moved: no real waiting

    def moved(at, sku):
        return timeline.request(at, "GET", f"/quotes/{sku}", headers=headers)

    if min(_expiry_lookups(learner_services, moved, "M")) >= 2:
        return
    # On real time as well before any verdict: an answer may read a clock the checks do not
    # move (time.perf_counter, datetime), and be right on it.
    started = time.monotonic()

    def real(at, sku):
        time.sleep(max(0.0, started + at - time.monotonic()))
        return learner_client.get(f"/quotes/{sku}", headers=headers)

    read, left = _expiry_lookups(learner_services, real, "R")
    require(
        left >= 2,
        "The same quote, asked again 1.3 s later, asked the partner "
        f"{counted(left, 'time')} in all: "
        "the price was still answered from the cache after it had expired.",
    )
    require(
        read >= 2,
        f"A price fetched at 0 s and read again at 0.65 s was still answered from the cache at "
        f"1.3 s ({read} lookup in all), where one not read in between was fetched again: a "
        "read pushed its expiry back (a sliding expiry), so a price asked for often enough is "
        "never fetched again, however the partner's price changed. A price is good for a "
        "second from when it was fetched: store it once with its expiry (TTLCache does), and "
        "do not store it again, or touch its time, when it is read.",
    )


# A learner joins the customer and the product with one of these (or with nothing); "/"
# cannot be in a product's path segment, so it is left out.
SEPARATORS = ("", ":", "|", "-", "_", ",", ";", " ", "#", ".", "@")


def _joined_pairs(services, sep):
    """Three questions whose customer and product, joined by ``sep``, run together:
    ("a{sep}b", "C-n") is ("a", "b{sep}C-n") user first and ("b", "C-n{sep}a") product first.
    The first n whose prices differ from the first question's (this run's prices), so a shared
    key shows."""
    for n in range(1, 50):
        pairs = [(f"a{sep}b", f"C-{n}"), ("a", f"b{sep}C-{n}"), ("b", f"C-{n}{sep}a")]
        prices = [services.data.price_of(sku, user) for user, sku in pairs]
        kept = [
            pair for pair, price in zip(pairs[1:], prices[1:], strict=True) if price != prices[0]
        ]
        if len(kept) == 2:
            return [pairs[0], *kept]
    raise AssertionError("no different prices in 49 tries")  # 1 in 5000 each


def _quote_request(user, sku):
    return ("GET", f"/quotes/{quote(sku, safe='')}", {"headers": {"X-User": user}})


@rule(
    "mandate-6",
    hint=(
        "Key the cache by the pair `(user, sku)`, a tuple: the customer and the product joined "
        "into one string run together, whatever joins them (`'a:b' + ':' + 'C-1'` is "
        "`'a' + ':' + 'b:C-1'`)."
    ),
)
def test_keys_keep_customer_and_product_apart(learner_client, learner_services):
    """customers and products whose names run together each get their own price"""
    # Every separator at once, in rounds: first each one's first question (kept in the cache),
    # then the questions that share its joined string.
    pairs = {sep: _joined_pairs(learner_services, sep) for sep in SEPARATORS}
    for round_ in range(3):
        asked = [(sep, *pairs[sep][round_]) for sep in SEPARATORS if round_ < len(pairs[sep])]
        answered, _ = learner_client.concurrently(
            [_quote_request(user, sku) for _, user, sku in asked]
        )
        for (sep, user, sku), timed in zip(asked, answered, strict=True):
            response = timed.response
            expected = {"sku": sku, "cents": learner_services.data.price_of(sku, user)}
            if response.status_code == 200 and body_of(response) == expected:
                continue
            first_user, first_sku = pairs[sep][0]
            first = learner_services.data.price_of(first_sku, first_user)
            joined = response.status_code == 200 and body_of(response) == {
                "sku": sku,
                "cents": first,
            }
            require(
                not joined,
                f"GET /quotes/{sku} as {user!r} answered {response.text[:120]}: the price of "
                f"{first_sku!r} for {first_user!r}, asked just before. The cache key joins the "
                f"customer and the product into one string, and {first_user!r} with "
                f"{first_sku!r} gives the same string as {user!r} with {sku!r}"
                + (f" (joined by {sep!r})" if sep else "")
                + ": one customer gets another's price. Key the cache by the pair (user, sku), "
                "a tuple.",
            )
            require(
                False,
                f"GET /quotes/{sku} as {user!r} answered {response.status_code} "
                f"{response.text[:120]}; expected {expected}.",
            )


@rule(
    "mandate-6",
    hint=(
        "Make the cache in the lifespan and yield it: each run of the app starts with an "
        "empty one. A cache at module level outlives the run (and a test's app, or a reload)."
    ),
)
def test_a_restarted_app_starts_with_an_empty_cache(start_learner_app, learner_services):
    """a price quoted just before a restart is asked of the partner again after it"""
    sku, user = "RESTART-1", "ada"
    step = {"method": "GET", "url": f"/quotes/{sku}", "headers": {"X-User": user}}
    before = learner_services.price_lookups[(sku, user)]
    app = start_learner_app(lifespan_cycles={"count": 1, "requests": [[step]]})
    try:
        earlier = learner_services.price_lookups[(sku, user)] - before  # the earlier run's
        response = app.client.get(f"/quotes/{sku}", headers={"X-User": user})
    finally:
        app.stop()
    asked = learner_services.price_lookups[(sku, user)] - before - earlier
    expected = {"sku": sku, "cents": learner_services.data.price_of(sku, user)}
    require(
        response.status_code == 200 and body_of(response) == expected,
        f"GET /quotes/{sku} as {user}, after one start and stop of the app, answered "
        f"{response.status_code} {response.text[:120]}; expected {expected}.",
    )
    require(
        earlier == 0 or asked >= 1,
        f"The app quoted {sku} for {user} in one run, was stopped and started again, and "
        "answered the same quote without asking the partner: the restarted app answered from "
        "the earlier run's cache, which lives at module level. Each run of the app starts with "
        "an empty cache: make it in the lifespan and yield it in the app's state.",
    )
