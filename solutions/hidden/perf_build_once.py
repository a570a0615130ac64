from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import (
    ask_both,
    fastest_side_by_side,
    require,
    rule,
    same_answer,
)
from autograder.engine.proptest import examples


@rule("prod-1", hint="Every SKU gets the reference's answer.")
@examples
@given(n=st.integers(min_value=-5, max_value=20_010))
def test_any_sku_gets_the_reference_answer(learner_client, reference_client, n):
    """any SKU gets the reference's answer"""
    url = f"/products/SKU-{n:05d}"
    same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")


@rule("prod-1", hint="A lookup costs what the reference's lookup costs, measured side by side.")
def test_a_lookup_costs_what_the_reference_lookup_costs(learner_client, start_reference_app):
    """a lookup costs no more than three times the reference's, measured in the same run"""
    reference = start_reference_app()
    mine, theirs = fastest_side_by_side(learner_client, reference, "GET", "/products/SKU-00777")
    require(
        mine <= 3 * theirs + 0.003,
        f"A lookup takes your app {mine * 1000:.1f} ms and the reference {theirs * 1000:.1f} ms "
        "(the fastest of 15 each, sent in turns in the same run).",
    )
