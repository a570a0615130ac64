from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import (
    UpstreamWitness,
    ask_both,
    expect_overlap,
    rule,
    same_answer,
)
from autograder.engine.proptest import slow_examples

user_ids = st.one_of(st.integers(min_value=1, max_value=600), st.integers(-(2**63), 2**63))


@rule(
    "async-1",
    hint="Known users get their profile, unknown ones 404, and an upstream failure 502, as before.",
)
@slow_examples
@given(user_id=user_ids)
def test_profiles_match_the_reference(learner_client, reference_client, user_id):
    """any user id gets the reference's answer, without blocking"""
    url = f"/users/{user_id}/profile"
    same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")


@rule("async-1", hint="Keep the path parameter's type and bound: a malformed id is a 422.")
@slow_examples
@given(user_id=st.text(alphabet="abc-_.~0123456789", min_size=1, max_size=6))
def test_malformed_ids_are_rejected_like_the_reference(learner_client, reference_client, user_id):
    """malformed user ids are answered as the reference answers them"""
    url = f"/users/{user_id}/profile"
    same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")


@rule(
    "async-1",
    hint="No request may hold the loop while it waits for the profile service, found or not.",
)
def test_a_burst_of_known_and_unknown_users_is_served_together(learner_client, learner_services):
    """twenty profile requests, known and unknown users, sent at once, are served together"""
    ids = [1, 9999, 2, 501, 3, 0, 4, 777, 5, 6] * 2
    expect_overlap(
        learner_client,
        [("GET", f"/users/{n}/profile", {}) for n in ids],
        "profile requests",
        upstream=UpstreamWitness("the profile service", learner_services.observed["profile"]),
    )
