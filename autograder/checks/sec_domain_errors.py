import re
import secrets

from autograder.engine.checkkit import body_of, fail, require, rule, show
from workbook.databases import MEMBERS

# What no answer of the library may carry: how it stores its data, what broke inside it, and who
# else is a member. Each pattern names what it found, for the message.
INTERNALS = [
    (
        re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b.*\b(FROM|INTO|SET|WHERE|VALUES)\b", re.S),
        "SQL",
    ),
    (re.compile(r"\[SQL|\[parameters", re.I), "the statement and its parameters"),
    (re.compile(r"\b(members|books|loans|tokens)\.[a-z_]+\b"), "a table's column"),
    (re.compile(r"sqlite|sqlalche|aiosqlite|constraint", re.I), "the database's own words"),
    (
        re.compile(r"\b[A-Z][a-z]\w*(Error|Exception)\b|NoResultFound|MultipleResultsFound"),
        "an exception's name",
    ),
    (re.compile(r"Traceback|File \"|\.py\b|/site-packages/|/work/|/tmp/"), "a traceback or a path"),
    (re.compile(r"Python int|too large to convert", re.I), "the driver's message"),
]
SEEDED_EMAILS = [email for _, _, email, _ in MEMBERS]
TOO_LARGE = 2**63  # one more than SQLite's largest INTEGER: the driver refuses to send it
GENERIC_500 = {500, 503}


def internals_in(text, sent=""):
    """What of the app's insides ``text`` shows ("" when nothing): an answer to a request
    that sent ``sent`` (an e-mail address echoed back to its own sender is no leak)."""
    for pattern, what in INTERNALS:
        found = pattern.search(text)
        if found:
            return f"{what} ({found.group(0)[:60]!r})"
    for email in SEEDED_EMAILS:
        if email in text and email not in sent:
            return f"another member's e-mail address ({email!r})"
    return ""


def expect_safe(response, line, sent=""):
    leaked = internals_in(response.text + " ".join(response.headers.values()), sent)
    if leaked:
        fail(
            f"{line} answered {show(response)}: it shows {leaked}. Whoever sends that request "
            "learns how the app stores its data, or what another member did. Answer a fixed "
            "detail chosen for the client; keep the internal text for the server's log."
        )


def expect_refused(response, status, line, sent=""):
    expect_safe(response, line, sent)
    require(
        response.status_code == status,
        f"{line} answered {show(response)}; the API promises status {status} for it (see the "
        "starter's docstring).",
    )
    body = body_of(response)
    require(
        isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"],
        f'{line} answered {show(response)}: a refusal answers `{{"detail": "..."}}`, a '
        "fixed sentence for the client.",
    )


def new_email():
    return f"reader-{secrets.token_hex(6)}@example.test"


def register(client, email=None):
    """A new member (its id), registered with a fresh address."""
    sent = {"name": "Reader", "email": email or new_email()}
    response = client.post("/members", json=sent)
    require(
        response.status_code == 201 and isinstance(body_of(response), dict),
        f"POST /members {sent} answered {show(response)}; expected 201 with the new member.",
    )
    return body_of(response).get("id")


def request_id_of(response):
    body = body_of(response)
    found = body.get("request_id") if isinstance(body, dict) else None
    return str(found or response.headers.get("x-request-id") or "")


UNEXPECTED = [
    ("GET", f"/members/{TOO_LARGE}", None),
    ("POST", "/loans", {"member_id": TOO_LARGE, "book_id": 4}),
]
# What a log line of the failure shows of it: its traceback, its exception, or its message.
DETAILS = ("Traceback", "OverflowError", "too large to convert")


@rule(
    "prod-2",
    hint=(
        "Log the failure where it is answered, with the request id and the exception: "
        '`log.error("request %s failed", request_id, exc_info=exc)`.'
    ),
    evidence="reported",
)
def test_the_log_holds_the_failure_under_its_request_id(learner_client, learner_report):
    """the server's log has the unexpected failure's detail, under the request id it answered"""
    method, url, _ = UNEXPECTED[0]
    response = learner_client.request(method, url)
    if response.status_code == 422:
        return  # refused before the database saw it: nothing failed, nothing to log
    request_id = request_id_of(response)
    require(
        len(request_id) >= 8,
        f"{method} {url} answered {show(response)} with no request id to look for in the log.",
    )

    def logged():
        printed = learner_report.output
        at = printed.find(request_id)
        # One write reaches the report as at most 4,000 characters: the id's line and the
        # start of its traceback, or a message that quotes the exception.
        if at < 0:
            return False
        # logging's own complaint when a format and its arguments do not match quotes the id
        # as `Message: '<id>'`, after a traceback of the logging call: nothing was logged.
        line = printed[printed.rfind("\n", 0, at) + 1 : at]
        return not line.startswith("Message: ") and any(
            d in printed[at : at + 4_000] for d in DETAILS
        )

    if not learner_report.wait_until(logged, 2.0):
        printed = learner_report.output
        where = (
            "the id is there, but not the failure's detail (its exception and traceback) near it"
            if request_id in printed
            else f"nothing the app printed mentions {request_id!r}"
        )
        fail(
            f"{method} {url} answered request id {request_id!r}; {where}. The client was told "
            "nothing, so the server's log is the only place the failure can be found: log it "
            "with its exception and the same id."
        )


@rule(
    "prod-2",
    hint=(
        "Catch `IntegrityError` where the member is saved, in the service, and raise your own "
        "`EmailTaken` (with no text) from it; one exception handler answers 409 with a fixed "
        "detail."
    ),
)
def test_an_email_registered_twice_answers_409_safely(learner_client):
    """an e-mail address registered twice answers 409 with a safe detail"""
    email = new_email()
    register(learner_client, email)
    again = {"name": "Someone Else", "email": email}
    expect_refused(
        learner_client.post("/members", json=again), 409, f"POST /members {again} (again)", email
    )
    seeded = {"name": "Eve", "email": SEEDED_EMAILS[1]}
    expect_refused(
        learner_client.post("/members", json=seeded),
        409,
        f"POST /members {seeded} (an address a member has)",
        seeded["email"],
    )


@rule(
    "prod-2",
    hint=(
        "The service raises `MemberNotFound` / `BookNotFound` wherever it looks one up; the "
        "single handler answers 404 with the same detail whichever route asked."
    ),
)
def test_a_member_or_book_that_does_not_exist_answers_404(learner_client):
    """a member or a book that does not exist answers 404, the same from every route"""
    member = learner_client.get("/members/999")
    expect_refused(member, 404, "GET /members/999")
    loan = {"member_id": 999, "book_id": 4}
    by_loan = learner_client.post("/loans", json=loan)
    expect_refused(by_loan, 404, f"POST /loans {loan}")
    require(
        body_of(by_loan) == body_of(member),
        f"GET /members/999 answered {show(member)} and POST /loans {loan} answered "
        f"{show(by_loan)}: the same error (no such member) answers differently depending on the "
        "route. Map each domain error to its answer in one place, not in every route.",
    )
    book = {"member_id": 1, "book_id": 999}
    expect_refused(learner_client.post("/loans", json=book), 404, f"POST /loans {book}")


@rule(
    "prod-2",
    hint=(
        "`BookOnLoan` and `LoanLimitReached` say nothing about who holds the book or what the "
        "member's address is: the handler answers 409 with a fixed detail."
    ),
)
def test_a_loan_the_rules_refuse_answers_409_safely(learner_client):
    """a loan of a book on loan, or past the loan limit, answers 409 and names no member"""
    reader = register(learner_client)
    lent = {"member_id": reader, "book_id": 1}  # seeded: lent to Grace
    expect_refused(learner_client.post("/loans", json=lent), 409, f"POST /loans {lent}")
    full = {"member_id": 2, "book_id": 4}  # Grace holds two loans already
    expect_refused(learner_client.post("/loans", json=full), 409, f"POST /loans {full}")
    fine = {"member_id": reader, "book_id": 6}
    granted = learner_client.post("/loans", json=fine)
    require(
        granted.status_code == 201,
        f"POST /loans {fine} answered {show(granted)}; expected 201 with the loan.",
    )
    second = {"member_id": register(learner_client), "book_id": 6}
    expect_refused(
        learner_client.post("/loans", json=second), 409, f"POST /loans {second} (book 6 is lent)"
    )


@rule(
    "prod-2",
    hint=(
        "What the service did not expect is a 500 with a fixed body and a request id, e.g. "
        '`{"detail": "Internal Server Error", "request_id": uuid4().hex}`, from '
        "`@app.exception_handler(Exception)`; never the exception's text."
    ),
)
def test_an_unexpected_failure_answers_a_generic_500_with_a_request_id(learner_client):
    """an unexpected failure answers a generic 500 with a request id, and nothing else"""
    ids = []
    for method, url, body in UNEXPECTED:
        line = f"{method} {url}" + (f" {body}" if body else "")
        response = learner_client.request(method, url, **({"json": body} if body else {}))
        expect_safe(response, line)
        if response.status_code == 422:
            continue  # refused before the database saw it: nothing failed
        require(
            response.status_code in GENERIC_500,
            f"{line} answered {show(response)}: the database driver cannot take an id that "
            "large, which the service does not expect. Expected a generic 500 (or 503): "
            "anything else tells the client a story that is not true.",
        )
        request_id = request_id_of(response)
        require(
            len(request_id) >= 8,
            f"{line} answered {show(response)} with no request id (a `request_id` in the body "
            "or an `X-Request-ID` header). Without one, nobody can find this failure in the "
            "server's log when the client reports it.",
        )
        ids.append(request_id)
    if len(set(ids)) < len(ids):
        fail(f"Two failed requests answered the same request id ({ids[0]!r}): each needs its own.")
