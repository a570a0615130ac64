from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import reference_copies, require, rule, same_answer
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.lifespans import lifespan_form_problem
from autograder.engine.proptest import examples
from autograder.engine.sequences import RESTART, Played, play_machine
from workbook.host.protocol import APP_CHOICE_HEADER

steps = st.tuples(
    st.sampled_from(["1", "2"]),
    st.one_of(
        st.integers(min_value=-5, max_value=60).map(
            lambda p: ("PUT", "/discount", {"json": {"percent": p}})
        ),
        st.tuples(st.sampled_from(["TEA-1", "MUG-2", "NOPE"]), st.integers(0, 5)).map(
            lambda q: ("GET", f"/quotes/{q[0]}", {"params": {"quantity": q[1]}})
        ),
    ),
)


@rule("arch-4", hint="Each app answers as a reference app of its own would.")
def test_each_app_answers_as_a_reference_of_its_own(learner_client, reference):
    """generated discounts and quotes on either app get the answers of one reference app each"""

    @examples
    @given(sequence=st.lists(steps, min_size=1, max_size=6))
    def run(sequence):
        for which, (method, url, kwargs) in sequence:
            mine = learner_client.request(method, url, headers={APP_CHOICE_HEADER: which}, **kwargs)
            theirs = references[which].request(method, url, **kwargs)
            same_answer(mine, theirs, f"{method} {url} {kwargs} on app {which}")

    # Two reference apps from the reference's own factory: what two independent apps answer.
    with reference_copies(reference) as references:
        run()


price_steps = st.builds(
    lambda which, step: {**step, "app": which},
    st.sampled_from(["1", "2"]),
    st.one_of(
        st.sampled_from([0, 10, 25]).map(
            lambda p: {"method": "PUT", "url": "/discount", "json": {"percent": p}}
        ),
        st.sampled_from(["TEA-1", "MUG-2", "POT-3"]).map(
            lambda sku: {"method": "GET", "url": f"/quotes/{sku}", "params": {"quantity": 3}}
        ),
    ),
)

DISCOUNTED = {"method": "PUT", "url": "/discount", "json": {"percent": 20}, "app": "1"}
QUOTED = {"method": "GET", "url": "/quotes/TEA-1", "params": {"quantity": 2}, "app": "1"}
SWAPPED_PRICES = {"prices": {"TEA-1": 999, "MUG-2": 50}, "discount_percent": 0}


@rule(
    "arch-4",
    hint=(
        "A restarted app gets a new price book from its lifespan: one made by `create_app()` "
        "(on `app.state`, or in a closure) keeps the old discount through every restart."
    ),
)
def test_restarted_apps_answer_as_restarted_references(start_learner_app, reference):
    """discounts and quotes on both apps, with restarts between them, get a reference's answers"""
    play_machine(
        lambda: Played(
            start_learner_app,
            {"1": reference.create_app(), "2": reference.create_app()},
            why="(a restart runs the app's lifespan again, as a server that starts again does)",
        ),
        price_steps,
        first=[DISCOUNTED, RESTART, QUOTED, {**QUOTED, "url": "/quotes/POT-3"}],
    )


def _with_kept_price_book(reference):
    """A reference app whose `get_price_book` is replaced by one PriceBook, kept: as a test
    swaps the service, and then sets a discount and reads quotes through it."""
    app = reference.create_app()
    kept = reference.PriceBook(**SWAPPED_PRICES)
    app.dependency_overrides[reference.get_price_book] = lambda: kept
    return app


@rule(
    "arch-4",
    hint=(
        "Both routes take the service from `get_price_book`: a discount set through "
        "`PUT /discount` must reach the price book a test handed in, or the test never sees "
        "its write in the next quote."
    ),
)
def test_a_swapped_price_book_sees_writes_and_reads(start_learner_app, reference):
    """with `get_price_book` overridden by one kept PriceBook, the reference's answers"""
    overrides = {
        "get_price_book": {
            "kind": "model", "class": "PriceBook", "values": SWAPPED_PRICES, "keep": True,
        }
    }  # fmt: skip
    play_machine(
        lambda: Played(
            start_learner_app,
            {"1": _with_kept_price_book(reference), "2": _with_kept_price_book(reference)},
            overrides=overrides,
            why="(`get_price_book` overridden by one PriceBook, the same object for every call)",
        ),
        price_steps,
        restarts=0,  # the restarts are the row above's; this one is about the override
        first=[DISCOUNTED, QUOTED],
    )


@rule(
    "arch-4", hint="The limits on SKUs, quantities and discounts stay where the exercise sets them."
)
def test_limits_are_the_reference_limits(learner_client, reference_client, reference_contract):
    """SKUs, quantities and discounts at the edges of their limits get the reference's verdicts"""
    quote = {"path_params": {"sku": "TEA-1"}, "params": {"quantity": 1}}
    try:
        expect_same_at_the_edges(
            learner_client, reference_client, reference_contract, "GET", "/quotes/{sku}", **quote
        )
        expect_same_at_the_edges(
            learner_client, reference_client, reference_contract, "PUT", "/discount",
            body={"percent": 10},
        )  # fmt: skip
    finally:  # the edges set discounts; both apps go back to none
        learner_client.put("/discount", json={"percent": 0})
        reference_client.put("/discount", json={"percent": 0})


@rule(
    "arch-4",
    hint="Decorate the lifespan with contextlib's asynccontextmanager, the supported form.",
)
def test_the_lifespan_is_an_async_context_manager(learner_source):
    """the lifespan is written as an async context manager (read from the code)"""
    problem = lifespan_form_problem(learner_source)
    require(not problem, problem)
