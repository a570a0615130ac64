from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import reference_copies, require, rule, same_answer
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.lifespans import lifespan_form_problem
from autograder.engine.proptest import examples
from autograder.engine.sequences import RESTART, Played, play_machine
from workbook.host.protocol import APP_CHOICE_HEADER

requests = st.tuples(
    st.sampled_from(["1", "2"]),
    st.integers(min_value=20, max_value=23),  # carts the visible checks never touch
    st.one_of(st.none(), st.sampled_from(["A-1", "B-2", ""])),  # None: read the cart
)


@rule("arch-2", hint="Each app answers as a reference app of its own would, on its own carts.")
def test_each_app_answers_as_a_reference_of_its_own(learner_client, reference):
    """generated requests to either app get the answers of one reference app per copy"""

    @examples
    @given(sequence=st.lists(requests, min_size=1, max_size=6))
    def run(sequence):
        for which, cart, sku in sequence:
            method, url = (
                ("GET", f"/carts/{cart}") if sku is None else ("POST", f"/carts/{cart}/items")
            )
            kwargs = {} if sku is None else {"json": {"sku": sku}}
            mine = learner_client.request(method, url, headers={APP_CHOICE_HEADER: which}, **kwargs)
            theirs = references[which].request(method, url, **kwargs)
            same_answer(mine, theirs, f"{method} {url} on app {which}")

    # Two reference apps from the reference's own factory: what two independent apps answer.
    with reference_copies(reference) as references:
        run()


carts_steps = st.builds(
    lambda which, cart, sku: (
        {"method": "GET", "url": f"/carts/{cart}", "app": which}
        if sku is None
        else {"method": "POST", "url": f"/carts/{cart}/items", "json": {"sku": sku}, "app": which}
    ),
    st.sampled_from(["1", "2"]),
    st.integers(min_value=30, max_value=31),
    st.one_of(st.none(), st.sampled_from(["A-1", "B-2"])),
)


@rule(
    "state-1",
    hint=(
        "A restarted app starts with what its lifespan yields: carts made by `create_app()` "
        "(on `app.state`, or in a closure) outlive every restart of that app."
    ),
)
def test_restarted_apps_answer_as_restarted_references(start_learner_app, reference):
    """writes and reads on both apps, with restarts between them, get a reference's answers"""
    play_machine(
        lambda: Played(
            start_learner_app,
            {"1": reference.create_app(), "2": reference.create_app()},
            why="(a restart runs the app's lifespan again, as a server that starts again does)",
        ),
        carts_steps,
        first=[
            {"method": "POST", "url": "/carts/30/items", "json": {"sku": "A-1"}, "app": "1"},
            RESTART,
            {"method": "GET", "url": "/carts/30", "app": "1"},
        ],
    )


@rule(
    "arch-2", hint="The limits on a cart's id and an item's SKU stay where the exercise sets them."
)
def test_limits_are_the_reference_limits(learner_client, reference_client, reference_contract):
    """carts and SKUs at the edges of their declared limits get the reference's verdicts"""
    for method, path, kwargs in (
        (
            "POST",
            "/carts/{cart_id}/items",
            {"path_params": {"cart_id": 40}, "body": {"sku": "A-1"}},
        ),
        ("GET", "/carts/{cart_id}", {"path_params": {"cart_id": 40}}),
    ):
        expect_same_at_the_edges(
            learner_client, reference_client, reference_contract, method, path, **kwargs
        )


@rule(
    "state-1",
    hint="Decorate the lifespan with contextlib's asynccontextmanager, the supported form.",
)
def test_the_lifespan_is_an_async_context_manager(learner_source):
    """the lifespan is written as an async context manager (read from the code)"""
    problem = lifespan_form_problem(learner_source)
    require(not problem, problem)
