import json

from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, rule, same_answer
from autograder.engine.documented import expect_documented_like_the_reference
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.fresh_start import expect_fresh_apps_agree
from autograder.engine.proptest import examples

bookings = st.fixed_dictionaries(
    {
        "room_id": st.integers(min_value=0, max_value=3),
        "check_in": st.dates().map(lambda d: d.replace(year=2034).isoformat()),
        "nights": st.integers(min_value=0, max_value=20),
        "card_token": st.sampled_from(
            ["tok_visa_4242", "declined_0002", "expired_0003", "tok_mc_5454", "abc"]
        ),
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


@rule("ready-4", hint="Keep the limits on a booking and on the room id as they were.")
def test_limits_match_the_reference(learner_client, reference_client, reference_contract):
    """nights, card tokens and room ids at each limit are accepted or refused as by the reference"""
    wanted = {"room_id": 1, "check_in": "2040-02-01", "nights": 2, "card_token": "tok_edge"}
    for method, path, kwargs in (
        ("POST", "/bookings", {"body": wanted}),
        ("GET", "/rooms/{room_id}", {"path_params": {"room_id": 2}}),
    ):
        expect_same_at_the_edges(
            learner_client,
            reference_client,
            reference_contract,
            method,
            path,
            ignore_keys=("id",),
            **kwargs,
        )


@rule("ready-4", hint="Each broken rule answers its status and its public message, as before.")
def test_a_fresh_app_answers_like_the_reference(start_learner_app, start_reference_app):
    """a freshly started app answers rooms and bookings (overlaps, long stays) as the reference"""
    stay = {"room_id": 2, "check_in": "2041-03-10", "nights": 3, "card_token": "tok_visa_4242"}
    steps = [("GET", f"/rooms/{number}", {}) for number in range(1, 4)]
    steps += [
        ("POST", "/bookings", {"json": stay}),
        ("POST", "/bookings", {"json": {**stay, "check_in": "2041-03-12", "nights": 1}}),
        ("POST", "/bookings", {"json": {**stay, "check_in": "2041-03-08", "nights": 2}}),
        ("POST", "/bookings", {"json": {**stay, "check_in": "2041-03-07", "nights": 3}}),
        ("POST", "/bookings", {"json": {**stay, "check_in": "2041-03-13", "nights": 14}}),
        ("POST", "/bookings", {"json": {**stay, "check_in": "2041-05-01", "nights": 15}}),
        ("POST", "/bookings", {"json": {**stay, "room_id": 1, "card_token": "declined_7"}}),
        ("POST", "/bookings", {"json": {**stay, "room_id": 5}}),
    ]
    expect_fresh_apps_agree(start_learner_app, start_reference_app, steps, refusals_in_full=True)


@rule("api-5", hint="Document what the reference documents: statuses, their bodies, a title.")
def test_documented_like_the_reference(learner_contract, reference_contract):
    """every status, error body and description the reference documents is there (any words)"""
    expect_documented_like_the_reference(learner_contract, reference_contract)
