from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import (
    ask_both,
    connections_left_open,
    require,
    rule,
    same_answer,
)
from autograder.engine.proptest import examples


@rule("state-3", hint="Every user id gets the reference's answer.")
@examples
@given(user_id=st.integers(min_value=-1, max_value=12))
def test_any_user_gets_the_reference_answer(learner_client, reference_client, user_id):
    """any user id gets the reference's answer"""
    url = f"/users/{user_id}/profile"
    same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")


@rule("state-3", hint="However many times the app starts and stops, it closes what it opened.")
def test_five_lifespans_leave_nothing_open(start_learner_app, learner_services):
    """started and stopped five times, the app leaves no connection open"""
    _, still_open = connections_left_open(
        start_learner_app, learner_services, "profile", runs=5, path="/users/2/profile"
    )
    require(still_open == 0, f"After five lifespans, {still_open} connection(s) are still open.")
