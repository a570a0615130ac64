import time

from autograder.engine.checkkit import require, rule


@rule("prod-4", hint="Ten signups at once: every answer before its mail, and every mail sent.")
def test_ten_signups_at_once(learner_client, learner_services):
    """ten signups at once all answer before their mails are sent, and all ten mails arrive"""
    emails = [f"burst{n}@example.org" for n in range(10)]
    timed, _ = learner_client.concurrently(
        [("POST", "/signups", {"json": {"email": email}}) for email in emails]
    )
    answered = {email: t.arrived for email, t in zip(emails, timed, strict=True)}
    require(all(t.response.status_code == 201 for t in timed), "Not every signup answered 201.")
    deadline = time.monotonic() + 5
    while True:
        sent = {m.to: m for m in list(learner_services.mails) if m.to in answered}
        if len(sent) == len(emails) or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    require(len(sent) == len(emails), f"Ten signups, {len(sent)} welcome mails within 5 s.")
    waited = [email for email, mail in sent.items() if not mail.finished_after(answered[email])]
    require(not waited, f"{len(waited)} of ten answers came only after their mail was sent.")


@rule("mandate-5", hint="The signup's validation and its answer stay as they were.")
def test_signups_are_validated_and_answered_as_before(learner_client, reference_client):
    """addresses at the bounds get the reference's status, and the member has an id"""
    for email in ("a@", "a@b", "a@" + "b" * 198, "a@" + "b" * 199):
        mine = learner_client.post("/signups", json={"email": email})
        theirs = reference_client.post("/signups", json={"email": email})
        require(
            mine.status_code == theirs.status_code,
            f"POST /signups with an address of {len(email)} characters answered "
            f"{mine.status_code}, the reference {theirs.status_code} (3 to 200 characters).",
        )
        if mine.status_code == 201:
            body = mine.json()
            require(
                isinstance(body, dict) and set(body) == set(theirs.json()),
                f"POST /signups answered {mine.text[:160]}; the member is its id and email.",
            )
