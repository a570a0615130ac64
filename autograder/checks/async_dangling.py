import itertools
import time

from autograder.engine.checkkit import expect_status, require, rule
from workbook.fakes import AuditLog

_fresh = itertools.count(4100)
SETTLE_SECONDS = 0.02  # a task created by the endpoint gets this long to finish its write


def audit_of(app):
    audit = getattr(app.state, "audit", None)
    require(
        isinstance(audit, AuditLog),
        "app.state.audit is not the AuditLog any more: the lifespan must keep it on app.state.",
    )
    return audit


def entries_after(audit, subject, wanted):
    """The audit entries for ``subject``, waiting briefly for up to ``wanted`` to appear."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while len(audit.entries_for(subject)) < wanted and time.monotonic() < deadline:
        time.sleep(0.002)
    return audit.entries_for(subject)


@rule("async-5")
def test_reading_a_document_is_audited(learner_client, learner_app):
    """reading a document leaves an entry in the audit log"""
    document_id = next(_fresh)
    url = f"/documents/{document_id}"
    response = learner_client.get(url)
    expect_status(response, 200, f"GET {url}")
    subject = f"document:{document_id}"
    entries = entries_after(audit_of(learner_app), subject, 1)
    require(
        entries,
        f"GET {url} answered {response.status_code}, but the audit log holds no entry for "
        f"{subject!r}. Calling `audit.record(...)` without `await` only creates a coroutine "
        "object; it is thrown away unrun, and the write never happens.",
    )
    require(
        [(e.action, e.subject) for e in entries] == [("document.read", subject)],
        f"GET {url} left these audit entries: {[(e.action, e.subject) for e in entries]}; "
        f"expected one: ('document.read', {subject!r}).",
    )


@rule("async-5", hint="Keep the response as it was; only the audit call changes.")
def test_every_read_is_audited_once(learner_client, learner_app):
    """each of three reads of one document is audited exactly once, and answered as before"""
    document_id = next(_fresh)
    url = f"/documents/{document_id}"
    for _ in range(3):
        response = learner_client.get(url)
        expect_status(response, 200, f"GET {url}")
    expected = {
        "id": document_id,
        "title": f"Contract {document_id}",
        "classification": "restricted",
    }
    require(
        response.json() == expected, f"GET {url} answered {response.json()}; expected {expected}."
    )
    count = len(entries_after(audit_of(learner_app), f"document:{document_id}", 3))
    require(count == 3, f"3 reads of GET {url} left {count} audit entries; expected 3.")
