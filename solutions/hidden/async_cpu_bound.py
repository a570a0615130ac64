from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import (
    ask_both,
    expect_status,
    loop_stall,
    require,
    rule,
    same_answer,
    stalled,
)
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.proptest import slow_examples

PASSWORD, SALT = "correct horse battery", "pepper-and-salt"

# Mostly valid inputs (those are hashed), some that the request model must reject.
passwords = st.one_of(st.text(min_size=8, max_size=40), st.text(max_size=140))
salts = st.one_of(st.text(min_size=8, max_size=24), st.text(max_size=70))


@rule("ready-3", hint="Every derivation must leave the loop free, not only the first one.")
def test_a_burst_of_derivations_never_stalls_the_loop(learner_client):
    """the loop keeps turning during each of several derivations (measured from outside)"""
    # Measured outside hypothesis on purpose: shrinking a failing timing example would repeat
    # the slow request hundreds of times and prove nothing more.
    for n in range(3):
        payload = {"password": f"hidden password {n}", "salt": f"hidden salt {n}"}
        response, stall, seconds = loop_stall(learner_client, "POST", "/keys/derive", json=payload)
        expect_status(response, 200, "POST /keys/derive")
        require(
            not stalled(stall, seconds),
            f"POST /keys/derive took {seconds * 1000:.0f} ms and the event loop stood still for "
            f"{stall * 1000:.0f} ms of it ({stall / seconds:.0%}).",
        )


@rule("async-2", hint="Keep the request model's limits and the key's format as they were.")
@slow_examples
@given(password=passwords, salt=salts)
def test_keys_match_the_reference(learner_client, reference_client, password, salt):
    """any password and salt get the reference's answer"""
    payload = {"password": password, "salt": salt}
    same_answer(
        *ask_both(learner_client, reference_client, "POST", "/keys/derive", json=payload),
        "POST /keys/derive",
    )


@rule("async-2", hint="Keep the request model's limits as they were: only `async` has to go.")
def test_the_request_limits_match_the_reference(
    learner_client, reference_client, reference_contract
):
    """passwords and salts at each length limit are accepted or refused as by the reference"""
    expect_same_at_the_edges(
        learner_client,
        reference_client,
        reference_contract,
        "POST",
        "/keys/derive",
        body={"password": PASSWORD, "salt": SALT},
        compare_accepted=True,  # the key depends on the password and salt alone
    )
