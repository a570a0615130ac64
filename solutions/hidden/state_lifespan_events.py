from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, require, rule, same_answer
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.lifespans import lifespan_form_problem
from autograder.engine.proptest import examples
from autograder.engine.sequences import RESTART, Played, play_machine

orders = st.fixed_dictionaries(
    {"sku": st.sampled_from(["TEA-1", "", "X" * 21]), "quantity": st.integers(-1, 101)}
)


@rule("state-2", hint="Any order gets the reference's answer.")
@examples
@given(order=orders)
def test_any_order_gets_the_reference_answer(learner_client, reference_client, order):
    """generated orders get the reference's answers"""
    same_answer(
        *ask_both(learner_client, reference_client, "POST", "/shops/2/orders", json=order),
        "POST /shops/2/orders",
    )


@rule("state-2", hint="Every entry of every order reaches the audit trail when the app stops.")
def test_every_entry_reaches_the_trail(start_learner_app, learner_services):
    """stopped after ten orders in two shops, the app has sent all ten entries"""
    app = start_learner_app()
    for n in range(10):
        app.client.post(f"/shops/{20 + n % 2}/orders", json={"sku": "POT-3", "quantity": n + 1})
    app.stop()
    sent = len(learner_services.audit_entries_for("shop:20")) + len(
        learner_services.audit_entries_for("shop:21")
    )
    require(sent == 10, f"Ten orders, then a stop: the audit trail received {sent} entries.")


order_steps = st.builds(
    lambda shop, sku, quantity: {
        "method": "POST",
        "url": f"/shops/{shop}/orders",
        "json": {"sku": sku, "quantity": quantity},
    },
    st.integers(min_value=40, max_value=41),
    st.sampled_from(["TEA-1", "MUG-2"]),
    st.integers(min_value=1, max_value=3),
)
ORDER = {"method": "POST", "url": "/shops/40/orders", "json": {"sku": "TEA-1", "quantity": 1}}


def _sent(entries, since):
    return sorted((entry.action, entry.subject) for entry in entries[since:])


@rule(
    "state-2",
    hint=(
        "Each run of the app sends the entries of that run, once: what a lifespan yields is "
        "new for every start, and what it flushed is gone from its buffer."
    ),
)
def test_restarted_apps_send_what_the_reference_sends(
    start_learner_app, learner_services, reference, reference_services
):
    """orders, with restarts between them, reach the audit trail as the reference's do"""
    marks = {}

    def new_pair():
        marks["reference"] = len(reference_services.audit_entries)
        pair = Played(
            start_learner_app,
            {"1": reference.app},
            why="(a restart runs the app's lifespan again, as a server that starts again does)",
        )
        marks["learner"] = len(learner_services.audit_entries)  # nothing sent before a stop
        pair.started_hooks.append(lambda: marks.update(learner=len(learner_services.audit_entries)))
        return pair

    def compare_trails(pair):
        # The last process lived through every run (earlier ones as lifespan cycles): what it
        # sent is the whole sequence's trail, as the reference's runs sent it together.
        mine = _sent(learner_services.audit_entries, marks["learner"])
        theirs = _sent(reference_services.audit_entries, marks["reference"])
        runs = " / ".join(
            ", ".join(step["url"] + " " + str(step["json"]["quantity"]) for step in run) or "-"
            for run in pair.runs
        )
        require(
            mine == theirs,
            f"Orders in {len(pair.runs)} runs of the app ({runs}), each run ended by a "
            f"shut-down: the audit trail received {len(mine)} entries from your app, "
            f"{len(theirs)} from the reference (one per order). A buffer that outlives its "
            "run sends its entries again at every shut-down; one that a run never flushes "
            "loses them.",
        )

    play_machine(new_pair, order_steps, restarts=1, after=compare_trails, first=[ORDER, RESTART])


@rule("state-2", hint="The limits on shops, SKUs and quantities stay where the exercise sets them.")
def test_limits_are_the_reference_limits(learner_client, reference_client, reference_contract):
    """shops, SKUs and quantities at the edges of their limits get the reference's verdicts"""
    expect_same_at_the_edges(
        learner_client, reference_client, reference_contract, "POST", "/shops/{shop_id}/orders",
        path_params={"shop_id": 2}, body={"sku": "TEA-1", "quantity": 2},
    )  # fmt: skip


@rule(
    "state-2",
    hint="Decorate the lifespan with contextlib's asynccontextmanager, the supported form.",
)
def test_the_lifespan_is_an_async_context_manager(learner_source):
    """the lifespan is written as an async context manager (read from the code)"""
    problem = lifespan_form_problem(learner_source)
    require(not problem, problem)
