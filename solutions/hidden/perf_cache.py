import time

from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import require, rule
from autograder.engine.proptest import examples
from autograder.engine.timeline import Timeline


@rule(
    "mandate-6", hint="Any customer, any product: their own price, from the partner or the cache."
)
@examples
@given(user=st.sampled_from(["u1", "u2", "u3"]), sku=st.sampled_from(["A-1", "B-2", "C-3"]))
def test_any_quote_is_the_customers_own(learner_client, learner_services, user, sku):
    """generated customers and products always get their own price"""
    response = learner_client.get(f"/quotes/{sku}", headers={"X-User": user})
    expected = learner_services.data.price_of(sku, user)  # this run's price, from the partner
    require(
        response.status_code == 200 and response.json() == {"sku": sku, "cents": expected},
        f"GET /quotes/{sku} as {user} answered {response.status_code} {response.text[:120]}; "
        f"expected {expected} cents.",
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
            response.status_code == 200 and response.json() == expected,
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
        f"The same quote, asked again 1.3 s later, asked the partner {left} time(s) in all: "
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


@rule("mandate-6", hint="The same question within a second is answered from the cache.")
def test_repeated_questions_are_asked_once(learner_client, learner_services):
    """three quotes asked five times each, within a second, ask the partner three times"""
    started = time.monotonic()
    for _ in range(5):
        for sku in ("R-1", "R-2", "R-3"):
            learner_client.get(f"/quotes/{sku}", headers={"X-User": "eve"})
    allowed = 3 * (1 + int((time.monotonic() - started) // 1.0))  # a price lives a second
    asked = sum(learner_services.price_lookups[(sku, "eve")] for sku in ("R-1", "R-2", "R-3"))
    require(
        asked <= allowed,
        f"Three quotes asked five times each reached the partner {asked} times.",
    )


@rule("mandate-6", hint="The bounds on the SKU and the customer stay as they were.")
def test_bounds_on_the_question_stay(learner_client, learner_services):
    """a SKU of 40 characters is quoted and one of 41 refused; an empty customer is refused"""
    edge = "S" * 40
    for url, user in ((f"/quotes/{edge}", "edge"), ("/quotes/TEA-1", "e")):
        response = learner_client.get(url, headers={"X-User": user})
        require(
            response.status_code == 200,
            f"GET {url} as {user!r} answered {response.status_code}; the starter's bounds (a "
            "SKU of at most 40 characters, a customer of at least one) allow it.",
        )
    for url, user in ((f"/quotes/{edge}S", "edge"), ("/quotes/TEA-1", "")):
        response = learner_client.get(url, headers={"X-User": user})
        require(
            response.status_code == 422,
            f"GET {url} as {user!r} answered {response.status_code}; the starter's bounds "
            "(a SKU of at most 40 characters, a customer of at least one) refuse it with 422.",
        )


def _joined_pairs(services):
    """Three questions whose customer and product, joined into one string, run together:
    ("ab", "C-n") is ("a", "bC-n") user first and ("b", "C-na") product first. The first n
    whose three prices all differ (this run's prices), so a shared key shows."""
    for n in range(1, 50):
        pairs = [("ab", f"C-{n}"), ("a", f"bC-{n}"), ("b", f"C-{n}a")]
        if len({services.data.price_of(sku, user) for user, sku in pairs}) == len(pairs):
            return pairs
    raise AssertionError("no three different prices in 49 tries")  # 1 in 5000 each


@rule(
    "mandate-6",
    hint=(
        "Key the cache by the pair `(user, sku)`, a tuple: the customer and the product joined "
        "into one string run together (`'ab' + 'C-1'` is `'a' + 'bC-1'`)."
    ),
)
def test_keys_keep_customer_and_product_apart(learner_client, learner_services):
    """customers and products whose names run together each get their own price"""
    pairs = _joined_pairs(learner_services)
    first_user, first_sku = pairs[0]
    first = learner_services.data.price_of(first_sku, first_user)
    for user, sku in pairs:
        response = learner_client.get(f"/quotes/{sku}", headers={"X-User": user})
        expected = {"sku": sku, "cents": learner_services.data.price_of(sku, user)}
        if response.status_code == 200 and response.json() == expected:
            continue
        joined = response.status_code == 200 and response.json() == {"sku": sku, "cents": first}
        require(
            not joined,
            f"GET /quotes/{sku} as {user} answered {response.text[:120]}: the price of "
            f"{first_sku} for {first_user}, asked just before. The cache key joins the "
            f"customer and the product into one string, and {first_user!r} with "
            f"{first_sku!r} gives the same string as {user!r} with {sku!r}: one customer gets "
            "another's price. Key the cache by the pair (user, sku), a tuple.",
        )
        require(
            False,
            f"GET /quotes/{sku} as {user} answered {response.status_code} "
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
        response.status_code == 200 and response.json() == expected,
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
