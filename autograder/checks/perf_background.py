import time

from autograder.engine.checkkit import body_of, expect_status, require, rule, show
from autograder.engine.starvation import INCONCLUSIVE_PREFIX, MachineStarved

MAIL_WAIT_SECONDS = 3.0


def mails_to(services, emails, wait=MAIL_WAIT_SECONDS):
    """The welcome mails the mail provider was asked to send to ``emails``, waiting up to
    ``wait`` for them to arrive there (not for the provider's slow sending)."""
    deadline = time.monotonic() + wait
    while True:
        sent = {mail.to: mail for mail in list(services.mails) if mail.to in emails}
        if len(sent) == len(emails) or time.monotonic() > deadline:
            return sent
        time.sleep(0.02)


@rule(
    "prod-4",
    hint=(
        "Take `background: BackgroundTasks` and `background.add_task(send_welcome, client, "
        "email)`: FastAPI runs it after the response has been sent."
    ),
)
def test_the_answer_does_not_wait_for_the_mail(learner_client, learner_services):
    """POST /signups answers before the welcome mail has been sent"""
    email = "ada@example.org"
    response = learner_client.post("/signups", json={"email": email})
    answered = time.monotonic()
    expect_status(response, 201, "POST /signups")
    mail = mails_to(learner_services, {email}).get(email)
    require(
        mail is not None, f"POST /signups answered {show(response)}, and no welcome mail was sent."
    )
    require(
        mail.finished_after(answered),
        f"POST /signups answered only after the mail provider had finished "
        f"({(mail.finished or 0) - mail.received:.1f} s of its time): the new member waits "
        "for a mail that could be sent after the answer.",
    )


@rule(
    "mandate-5",
    hint=(
        "`add_task` takes the function and its arguments, not a call: `add_task(send_welcome, "
        "client, email)`, never `add_task(send_welcome(client, email))`."
    ),
)
def test_the_mail_is_still_sent(learner_client, learner_services):
    """three signups at once each still get their welcome mail, soon after the answer"""
    emails = [f"member{n}@example.org" for n in range(3)]
    with learner_services.quick_partners():  # counted, not timed: no need to wait for it
        timed, _ = learner_client.concurrently(
            [("POST", "/signups", {"json": {"email": email}}) for email in emails]
        )
        for answer in timed:
            expect_status(answer.response, 201, "POST /signups")
        sent = mails_to(learner_services, set(emails))
    missing = [email for email in emails if email not in sent]
    require(
        not missing,
        f"Three signups, and no welcome mail for {', '.join(missing)} within "
        f"{MAIL_WAIT_SECONDS:.0f} s. Work moved after the answer must still happen.",
    )


@rule("mandate-5", hint="Signups still answer 201 with the member.")
def test_signups_answer_the_member(learner_client, learner_services):
    """POST /signups answers 201 with the member; a bad address is 422"""
    with learner_services.quick_partners():  # the answer is checked, not its timing
        response = learner_client.post("/signups", json={"email": "grace@example.org"})
    expect_status(response, 201, "POST /signups")
    require(
        isinstance(body_of(response), dict)
        and body_of(response).get("email") == "grace@example.org",
        f"POST /signups answered {show(response)}.",
    )
    expect_status(
        learner_client.post("/signups", json={"email": "no-at-sign"}),
        422,
        "POST /signups with a bad address",
    )


POOL_BURST = 4


def _opened_by_a_burst(learner_client, services, tag):
    """Connections the mail provider saw opened while ``POOL_BURST`` signups at once had their
    mails sent, counted once every mail has been answered; None if a mail never came."""
    mailer = services.observed["mailer"]
    emails = {f"{tag}{n}@example.org" for n in range(POOL_BURST)}
    before = mailer.connections
    timed, _ = learner_client.concurrently(
        [("POST", "/signups", {"json": {"email": email}}) for email in sorted(emails)]
    )
    for answer in timed:
        expect_status(answer.response, 201, "POST /signups")
    deadline = time.monotonic() + MAIL_WAIT_SECONDS
    while True:
        done = {m.to for m in list(services.mails) if m.to in emails and m.finished is not None}
        if done == emails:
            break
        if time.monotonic() > deadline:
            return None
        time.sleep(0.02)
    time.sleep(0.05)  # the provider's answers reach the client, which keeps the connections
    return mailer.connections - before


@rule(
    "prod-4",
    hint=(
        "Open the mail provider's client once, in the lifespan, and hand it to every request "
        "and its background task: its pool keeps the connections between mails. A client "
        "opened per request (a `yield` dependency) or per mail connects anew every time."
    ),
)
def test_mails_reuse_the_providers_connections(learner_client, learner_services):
    """later signups send their mails over the connections earlier mails opened"""
    unsent = (
        f"{POOL_BURST} signups at once, and not every welcome mail had been sent within "
        f"{MAIL_WAIT_SECONDS:.0f} s."
    )
    with learner_services.quick_partners():  # connections are counted, not timed
        warmed = _opened_by_a_burst(learner_client, learner_services, "pool-warm")
        require(warmed is not None, unsent)
        # A pool reuses at least one of the connections the first burst left open; a client
        # per request or per mail connects once per mail, every time (twice, to be sure).
        for attempt in range(2):
            opened = _opened_by_a_burst(learner_client, learner_services, f"pool-{attempt}")
            require(opened is not None, unsent)
            if opened < POOL_BURST:
                return
            time.sleep(0.1)
    require(
        False,
        f"{POOL_BURST} signups at once, after {POOL_BURST} others whose mails had all been "
        f"sent: the mail provider saw {opened} new connections, one per mail, twice in a row "
        "(a connection and TLS handshake each). The app opens a new HTTP client per request or "
        "per mail; open one in the lifespan and share it, so its pool keeps the connections.",
    )


SHUTDOWN_SIGNUPS = 3
# The answer's server waits 2 s for unfinished requests (and their background tasks) when it
# stops, then cancels them: a stop that took longer cannot tell a waiting app from another.
GRACEFUL_SECONDS = 1.5


@rule(
    "mandate-5",
    hint=(
        "Hand the mail to `BackgroundTasks`: the server waits for a request's background "
        "tasks before it shuts down. A task of your own (`asyncio.create_task`) is cut off "
        "when the app stops, unless the lifespan awaits it before closing the client."
    ),
)
def test_a_stopping_app_still_sends_the_mails(start_learner_app, learner_services):
    """three signups, then the app stopped at once: every mail is sent before it ends"""
    emails = [f"stopping{n}@example.org" for n in range(SHUTDOWN_SIGNUPS)]
    app = start_learner_app()
    try:
        timed, _ = app.client.concurrently(
            [("POST", "/signups", {"json": {"email": email}}) for email in emails]
        )
    finally:
        stopping = time.monotonic()
        app.stop()  # as a server is stopped on a deploy, right after these answers
        stopped = time.monotonic()
    for answer in timed:
        expect_status(answer.response, 201, "POST /signups")
    # The app's process has ended: a mail it sent still reaches the provider at once.
    sent = mails_to(learner_services, set(emails), wait=0.5)
    # The provider answers 0.2 s after a mail arrives: an app that waits for its mails ends
    # after every answer; one that does not ends while they are still being sent.
    cut = [email for email, mail in sent.items() if mail.finished_after(stopped)]
    missing = [email for email in emails if email not in sent]
    if (missing or cut) and stopped - stopping > GRACEFUL_SECONDS:
        raise MachineStarved(
            f"{INCONCLUSIVE_PREFIX}: the app took {stopped - stopping:.1f} s to stop after "
            f"{SHUTDOWN_SIGNUPS} signups, longer than a server waits for unfinished work; this "
            "machine was too busy to tell whether the mails are waited for. The exercise is "
            "graded again; nothing needs to change in your answer for that."
        )
    require(
        not missing,
        f"{SHUTDOWN_SIGNUPS} signups answered 201, then the app was stopped at once (as on a "
        f"deploy): no welcome mail ever reached the provider for {', '.join(missing)}. The "
        "app stopped without waiting for the mails it had still to send: give them to "
        "`BackgroundTasks`, which the server waits for before it shuts down.",
    )
    require(
        not cut,
        f"{SHUTDOWN_SIGNUPS} signups answered 201, then the app was stopped at once (as on a "
        f"deploy): it had ended while the provider was still sending the mails to "
        f"{', '.join(cut)}, its requests cut off and their answers never read. The app "
        "stopped without waiting for its mails: give them to `BackgroundTasks`, which the "
        "server waits for before it shuts down (or await your own tasks in the lifespan, "
        "before the client closes).",
    )
