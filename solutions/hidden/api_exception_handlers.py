import json

from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, rule, same_answer
from autograder.engine.proptest import examples

bookings = st.fixed_dictionaries(
    {
        "room_id": st.integers(min_value=0, max_value=3),
        "check_in": st.dates().map(lambda d: d.replace(year=2034).isoformat()),
        "nights": st.integers(min_value=0, max_value=20),
        "card_token": st.sampled_from(["tok_visa_4242", "declined_0002", "tok_mc_5454", "abc"]),
    }
)


@rule("ready-4", hint="Every booking, whatever goes wrong, gets the reference's status and detail.")
@examples
@given(wanted=bookings)
def test_any_booking_gets_the_reference_answer(learner_client, reference_client, wanted):
    """generated bookings (overlaps, declines, long stays) get the reference's answers"""
    same_answer(
        *ask_both(learner_client, reference_client, "POST", "/bookings", json=wanted),
        f"POST /bookings {json.dumps(wanted)}",
        ignore_keys={"id"},
    )


@rule("ready-4", hint="Every room id gets the reference's answer.")
@examples
@given(room_id=st.integers(min_value=-2, max_value=10**6))
def test_any_room_gets_the_reference_answer(learner_client, reference_client, room_id):
    """any room id gets the reference's answer"""
    url = f"/rooms/{room_id}"
    same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")
