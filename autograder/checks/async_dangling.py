import itertools
import time

from autograder.engine.checkkit import expect_status, require, rule

_fresh = itertools.count(4100)
SETTLE_SECONDS = 0.1  # a write the endpoint started gets this long to reach the audit trail


def entries_after(services, subject, wanted):
    """The audit trail's entries for ``subject``, waiting briefly for ``wanted`` to arrive."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while len(services.audit_entries_for(subject)) < wanted and time.monotonic() < deadline:
        time.sleep(0.005)
    return services.audit_entries_for(subject)


def never_awaited(report):
    found = [w for w in report.warnings if "never awaited" in w.message]
    if not found:
        return ""
    where = f" (line {found[0].line})" if found[0].line else ""
    return f"\nYour app's process warned{where}: {found[0].message}"


@rule(
    "async-5",
    hint="`audit.record(...)` returns a coroutine: `await` it, or the write never happens.",
)
def test_reading_a_document_is_audited(learner_client, learner_services, learner_report):
    """reading a document leaves an entry in the audit trail (the trail's own record)"""
    document_id = next(_fresh)
    url = f"/documents/{document_id}"
    response = learner_client.get(url)
    expect_status(response, 200, f"GET {url}")
    subject = f"document:{document_id}"
    entries = entries_after(learner_services, subject, 1)
    require(
        entries,
        f"GET {url} answered {response.status_code}, but the audit trail received no entry for "
        f"{subject!r}. Calling `audit.record(...)` without `await` only creates a coroutine "
        "object; it is thrown away unrun, and the write never happens."
        + never_awaited(learner_report),
    )
    require(
        [(e.action, e.subject) for e in entries] == [("document.read", subject)],
        f"GET {url} left these audit entries: {[(e.action, e.subject) for e in entries]}; "
        f"expected one: ('document.read', {subject!r}).",
    )


@rule("async-5", hint="Keep the response as it was; only the audit call changes.")
def test_every_read_is_audited_once(learner_client, learner_services):
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
    count = len(entries_after(learner_services, f"document:{document_id}", 3))
    require(count == 3, f"3 reads of GET {url} left {count} audit entries; expected 3.")
