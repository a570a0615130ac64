import time

from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import require, rule
from autograder.engine.proptest import examples


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
    """a SKU of 40 characters and a customer of 80 are quoted; one more of either is refused,
    and so is an empty customer"""
    edge, customer = "S" * 40, "c" * 80
    for url, user in (
        (f"/quotes/{edge}", "edge"),
        ("/quotes/TEA-1", "e"),
        ("/quotes/TEA-1", customer),
    ):
        response = learner_client.get(url, headers={"X-User": user})
        require(
            response.status_code == 200,
            f"GET {url} as {user!r} answered {response.status_code}; the starter's bounds (a "
            "SKU of at most 40 characters, a customer of 1 to 80) allow it.",
        )
    for url, user in (
        (f"/quotes/{edge}S", "edge"),
        ("/quotes/TEA-1", ""),
        ("/quotes/TEA-1", customer + "c"),
    ):
        response = learner_client.get(url, headers={"X-User": user})
        require(
            response.status_code == 422,
            f"GET {url} as {user!r} answered {response.status_code}; the starter's bounds "
            "(a SKU of at most 40 characters, a customer of 1 to 80) refuse it with 422.",
        )
