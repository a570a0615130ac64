import time

from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, require, rule, same_answer
from autograder.engine.proptest import examples

SETTLE_SECONDS = 0.02


def audit_count(app, subject, at_least):
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        audit = getattr(app.state, "audit", None)
        count = len(audit.entries_for(subject)) if audit is not None else 0
        if count >= at_least or time.monotonic() > deadline:
            return count
        time.sleep(0.002)


@rule("async-5")
@examples
@given(document_id=st.integers(min_value=-5, max_value=2**31))
def test_reads_are_answered_and_audited_like_the_reference(
    learner_client, reference_client, learner_app, reference_app, document_id
):
    """any document id is answered and audited as the reference does it"""
    url = f"/documents/{document_id}"
    subject = f"document:{document_id}"
    same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")
    # Compare how many entries each app holds for the subject; ids can repeat across examples.
    reference_count = audit_count(reference_app, subject, 0)
    learner_count = audit_count(learner_app, subject, reference_count)
    require(
        learner_count == reference_count,
        f"after GET {url} your audit log holds {learner_count} entries for {subject!r}, "
        f"the reference's holds {reference_count}.",
    )
