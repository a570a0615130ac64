import itertools

from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import (
    UpstreamWitness,
    ask_both,
    expect_overlap,
    rule,
    same_answer,
)
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.proptest import slow_examples

addresses = st.one_of(
    st.text(min_size=0, max_size=210),
    st.from_regex(r"\A[1-9][0-9]{0,3} [A-Z][a-z]{2,12} (Street|Road|Lane)\Z"),
)


@rule("async-3", hint="Any address gets the same point as before; the query's length limits stay.")
@slow_examples
@given(address=addresses)
def test_lookups_match_the_reference(learner_client, reference_client, address):
    """any address gets the reference's answer, without blocking"""
    params = {"address": address}
    same_answer(
        *ask_both(learner_client, reference_client, "GET", "/geocode", params=params),
        f"GET /geocode?address={address!r}",
    )


@rule("async-3", hint="A repeated address is answered from the cache, with the same point.")
@slow_examples
@given(address=addresses)
def test_repeated_lookups_match_the_reference(learner_client, reference_client, address):
    """asking twice for an address gives the same answer as the reference"""
    params = {"address": address}
    learner_client.get("/geocode", params=params)
    same_answer(
        *ask_both(learner_client, reference_client, "GET", "/geocode", params=params),
        f"GET /geocode?address={address!r} (asked twice)",
    )


_hidden_addresses = itertools.count(1)


def _fresh_lookup():
    return ("GET", "/geocode", {"params": {"address": f"{next(_hidden_addresses)} Hidden Road"}})


@rule("async-3", hint="No lookup may hold the loop while the vendor answers.")
def test_a_burst_of_new_addresses_is_served_together(learner_client, learner_services):
    """ten lookups of new addresses, sent at once, are served together"""
    expect_overlap(
        learner_client,
        [_fresh_lookup() for _ in range(10)],
        "lookups of new addresses",
        fresh=_fresh_lookup,
        upstream=UpstreamWitness("the geocoding vendor", learner_services.observed["geocoder"]),
    )


@rule("async-3", hint="Keep the address's length limits as the query declared them.")
def test_the_address_limits_match_the_reference(
    learner_client, reference_client, reference_contract
):
    """addresses at each length limit are accepted or refused as by the reference"""
    expect_same_at_the_edges(
        learner_client,
        reference_client,
        reference_contract,
        "GET",
        "/geocode",
        params={"address": "12 Edge Street"},
    )
