import time

from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, require, rule, same_answer
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.proptest import slow_examples

SETTLE_SECONDS = 0.1


def audit_count(services, subject, at_least):
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        count = len(services.audit_entries_for(subject))
        if count >= at_least or time.monotonic() > deadline:
            return count
        time.sleep(0.005)


@rule(
    "async-5",
    hint=(
        "Every successful read, whatever its id, writes exactly one audit entry; a "
        "rejected id writes none."
    ),
)
@slow_examples
@given(document_id=st.integers(min_value=-5, max_value=2**31))
def test_reads_are_answered_and_audited_like_the_reference(
    learner_client, reference_client, learner_services, reference_services, document_id
):
    """any document id is answered and audited as the reference does it"""
    url = f"/documents/{document_id}"
    subject = f"document:{document_id}"
    reference_before = len(reference_services.audit_entries_for(subject))
    learner_before = len(learner_services.audit_entries_for(subject))
    same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")
    # Count what this one request added on each side; ids can repeat across examples.
    reference_added = audit_count(reference_services, subject, reference_before) - reference_before
    learner_added = audit_count(learner_services, subject, learner_before + reference_added)
    learner_added -= learner_before
    require(
        learner_added == reference_added,
        f"GET {url} added {learner_added} audit entries for {subject!r} to your audit trail; "
        f"the reference's request added {reference_added}.",
    )


@rule("async-5", hint="Keep the path's bound: document ids start at 1.")
def test_ids_at_the_bound_are_answered_like_the_reference(
    learner_client, reference_client, reference_contract
):
    """document ids at the path's lower bound are answered as by the reference"""
    expect_same_at_the_edges(
        learner_client,
        reference_client,
        reference_contract,
        "GET",
        "/documents/{document_id}",
        path_params={"document_id": 7},
    )
