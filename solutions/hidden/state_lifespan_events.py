from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, require, rule, same_answer
from autograder.engine.proptest import examples

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
