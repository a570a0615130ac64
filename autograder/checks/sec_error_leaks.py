import re

from autograder.engine.checkkit import body_of, brief, fail, require, rule, show

WINDOW = 8  # this many characters of a secret in a row, anywhere, is a leak (as in di-settings)
TOKEN = "tok_live_7Qm2Zr9XwLp4Kd8V"  # a customer's token, pasted into the wrong field
CARRIER_NODE = "carrier.internal"  # the carrier's error bodies name its internal node
NOT_SERVED = ("US", "JP")  # the carrier's rate engine is down for these: it answers 503
NO_FEE = ("SE", "DK")  # served by the carrier, missing from the shop's fee table: a KeyError
# Where a request id may be: a body key (spelled any of these ways) or a response header.
ID_KEYS = {"requestid", "errorid", "incidentid", "correlationid", "traceid", "reference"}
ID_HEADERS = ("x-request-id", "x-correlation-id", "request-id", "x-trace-id")
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")


def pieces_of(secret):
    return {secret[i : i + WINDOW] for i in range(len(secret) - WINDOW + 1)}


def answered(response):
    """The whole answer as the caller sees it: status line, headers and body."""
    headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
    return f"{response.status_code}\n{headers}\n\n{response.text}"


def leaked_piece(response, secret):
    text = answered(response)
    return next((piece for piece in sorted(pieces_of(secret)) if piece in text), None)


def expect_no_leak(response, request_line, env):
    """No part of the carrier key, no traceback, no word of the carrier's internals."""
    piece = leaked_piece(response, env["CARRIER_API_KEY"])
    if piece is not None:
        fail(
            f"{request_line} answered {show(response)}: it carries part of the carrier's API "
            f"key ({piece!r}…). Whoever made it fail now holds the shop's key: they can buy "
            "labels on the shop's account."
        )
    if TRACEBACK.search(response.text):
        fail(
            f"{request_line} answered a traceback ({brief(response.text[:200], 220)}): the "
            "app's files, its code and its libraries, for anyone who finds a failing request. "
            "Leave `debug` off and answer unexpected errors with a fixed body."
        )
    if CARRIER_NODE in response.text or "/v1/" in response.text:
        fail(
            f"{request_line} answered {show(response)}: it names the carrier's internals (its "
            "URL or its node), which only the carrier's error could have told. Log what the "
            "carrier said; answer a fixed message."
        )


def request_id_of(response):
    body = body_of(response)
    if isinstance(body, dict):
        for key, value in body.items():
            if re.sub(r"[^a-z]", "", key.lower()) in ID_KEYS and isinstance(value, str | int):
                return str(value)
    return next((response.headers[h] for h in ID_HEADERS if h in response.headers), None)


def without_ids(body):
    if isinstance(body, dict):
        return {
            key: value
            for key, value in body.items()
            if re.sub(r"[^a-z]", "", key.lower()) not in ID_KEYS
        }
    return body


def unexpected_error(learner_client, country, grams=500):
    request_line = f"GET /quotes?to={country}&grams={grams}"
    response = learner_client.get("/quotes", params={"to": country, "grams": grams})
    require(
        response.status_code == 500,
        f"{request_line} (the carrier serves {country}, the shop's fee table forgets it, so "
        f"the route raises KeyError) answered {show(response)}; expected 500.",
    )
    return request_line, response


@rule(
    "security-8",
    hint=(
        "Log the unexpected error on the server with its request id: "
        '`log.exception("request %s: ...", request_id)` in the handler that answers it.'
    ),
    evidence="reported",
)
def test_an_unexpected_error_is_logged_under_its_request_id(learner_client, learner_report):
    """an unexpected error is logged on the server, with the request id its answer gives"""
    request_line, response = unexpected_error(learner_client, "SE", 640)
    request_id = request_id_of(response)
    require(
        request_id,
        f"{request_line} answered {show(response)}: no request id (a body field such as "
        "`request_id`, or an X-Request-ID header), so nobody can find this failure in the log.",
    )
    found = learner_report.wait_until(lambda: request_id in learner_report.output, 1.0)
    printed = learner_report.output
    require(
        found,
        f"{request_line} answered request id {request_id!r}, and nothing the app printed or "
        "logged names it: the error is answered and forgotten. Log it (`log.exception(...)`, "
        "with the request id) where you answer it.",
    )
    after = printed[printed.index(request_id) :]
    require(
        "KeyError" in after,
        f"The app logged request id {request_id!r} but not what failed (no KeyError after it): "
        f"{brief(after[:200], 220)}. Log the exception itself: `log.exception` adds its "
        "traceback.",
    )


@rule(
    "security-8",
    hint=(
        "`debug` off, and one handler for `Exception` that answers the same body whatever "
        'failed: `{"detail": "Internal Server Error", "request_id": ...}`.'
    ),
)
def test_an_unexpected_error_answers_a_fixed_body(learner_client, learner_env_file):
    """two different unexpected errors answer 500 with the same body (apart from the id)"""
    answers = [unexpected_error(learner_client, country) for country in NO_FEE]
    for request_line, response in answers:
        expect_no_leak(response, request_line, learner_env_file)
        body = body_of(response)
        require(
            isinstance(body, dict),
            f"{request_line} answered {show(response)}: expected a JSON object that says "
            "nothing about what failed, with a request id.",
        )
        said = [country for country in NO_FEE if country in brief(without_ids(body), 2000)]
        require(
            not said and "KeyError" not in response.text,
            f"{request_line} answered {show(response)}: the body tells what failed (the "
            "exception's text). Log it on the server; answer a fixed body.",
        )
    (first_line, first), (second_line, second) = answers
    require(
        without_ids(body_of(first)) == without_ids(body_of(second)),
        f"{first_line} answered {show(first)} and {second_line} answered {show(second)}: the "
        "body depends on what failed, so it tells the caller something about the app's "
        "insides. Answer the same body for every unexpected error (only the request id "
        "differs).",
    )


@rule(
    "security-8",
    hint="A request id made for each request (`uuid.uuid4().hex` in the handler), not once.",
)
def test_each_unexpected_error_has_its_own_request_id(learner_client):
    """three unexpected errors answer three different request ids"""
    ids = []
    for country in (*NO_FEE, NO_FEE[0]):
        request_line, response = unexpected_error(learner_client, country, 300 + len(ids))
        request_id = request_id_of(response)
        require(
            request_id,
            f"{request_line} answered {show(response)}: no request id (a body field such as "
            "`request_id`, or an X-Request-ID header) to find this failure by in the log.",
        )
        ids.append(request_id)
    require(
        len(set(ids)) == len(ids),
        f"Three unexpected errors answered the request ids {ids}: an id shared by several "
        "failures finds none of them in the log. Make one for each request.",
    )


@rule(
    "security-8",
    hint=(
        "When the carrier fails, answer 502 with a fixed message: never `str(exc)`, whose "
        "text names the URL the app called, key and all."
    ),
)
def test_a_failing_quote_answers_502_and_nothing_of_the_key(learner_client, learner_env_file):
    """a quote the carrier fails answers 502, a fixed body, no part of the key"""
    answers = []
    for country in NOT_SERVED:
        request_line = f"GET /quotes?to={country}&grams=500"
        response = learner_client.get("/quotes", params={"to": country, "grams": 500})
        expect_no_leak(response, request_line, learner_env_file)
        require(
            response.status_code == 502,
            f"{request_line} (the carrier answered 503) answered {show(response)}; expected "
            "502 Bad Gateway: the shop is fine, its partner failed.",
        )
        answers.append((request_line, response))
    (first_line, first), (second_line, second) = answers
    require(
        without_ids(body_of(first)) == without_ids(body_of(second)),
        f"{first_line} answered {show(first)} and {second_line} answered {show(second)}: the "
        "body repeats what the carrier said. Answer a fixed message.",
    )


@rule(
    "security-8",
    hint=(
        "Never pass the carrier's error body on: it repeats the key the shop called it with. "
        "Log its status; answer 502 with a fixed message."
    ),
)
def test_a_failing_shipment_does_not_pass_the_carriers_error_on(learner_client, learner_env_file):
    """a label the carrier fails to make answers 502, not the carrier's own error body"""
    request_line = 'POST /shipments {"to": "US", "grams": 500}'
    response = learner_client.post("/shipments", json={"to": "US", "grams": 500})
    expect_no_leak(response, request_line, learner_env_file)
    require(
        response.status_code == 502,
        f"{request_line} (the carrier answered 503) answered {show(response)}; expected 502 "
        "Bad Gateway with a fixed message.",
    )


REFUSED = [
    ("POST", "/shipments", {"json": {"to": "DE", "grams": TOKEN}}, ("body", "grams")),
    ("POST", "/shipments", {"json": {"to": "DE", "token": TOKEN}}, ("body", "grams")),
    ("GET", "/quotes", {"params": {"to": "DE", "grams": TOKEN}}, ("query", "grams")),
]


@rule(
    "security-8",
    hint=(
        "A `RequestValidationError` handler that keeps each error's `loc`, `msg` and `type`, "
        "and drops `input` (and `ctx`): FastAPI's own 422 echoes what was sent."
    ),
)
def test_a_refused_request_does_not_echo_what_was_sent(learner_client):
    """a 422 says where and why (loc, msg, type), never what was sent (a token included)"""
    for method, url, sent, where in REFUSED:
        what = brief(sent.get("json") or sent.get("params"))
        request_line = f"{method} {url} {what}"
        response = learner_client.request(method, url, **sent)
        require(
            response.status_code == 422,
            f"{request_line} answered {show(response)}; expected 422.",
        )
        text = answered(response)
        echoed = next((piece for piece in sorted(pieces_of(TOKEN)) if piece in text), None)
        require(
            echoed is None,
            f"{request_line} answered {show(response)}: the 422 echoes the token sent in the "
            f"wrong field ({echoed!r}…), into the client's logs and the screen of whoever "
            "looks. Answer `loc`, `msg` and `type` of each error, not its `input`.",
        )
        body = body_of(response)
        errors = body.get("detail") if isinstance(body, dict) else None
        require(
            isinstance(errors, list)
            and errors
            and all(isinstance(e, dict) and {"loc", "msg", "type"} <= set(e) for e in errors),
            f"{request_line} answered {show(response)}: expected FastAPI's shape, "
            '`{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`, so clients can still tell '
            "which field was wrong and why.",
        )
        locs = sorted(tuple(str(part) for part in e["loc"]) for e in errors)
        require(
            locs == [where],
            f"{request_line} answered {show(response)}: it names {locs}, the field refused is "
            f"{list(where)}.",
        )


@rule("security-8", hint="The quotes and labels that work still answer as before.")
def test_quotes_and_labels_still_work(learner_client, learner_services):
    """a quote and a label the carrier serves answer 200 and 201 with the carrier's figures"""
    response = learner_client.get("/quotes", params={"to": "DE", "grams": 500})
    cents = learner_services.data.price_of("parcel-DE", "500") + 50  # DE's handling fee: 50
    require(
        response.status_code == 200
        and body_of(response) == {"to": "DE", "grams": 500, "cents": cents},
        f"GET /quotes?to=DE&grams=500 answered {show(response)}; expected 200 "
        f"{brief({'to': 'DE', 'grams': 500, 'cents': cents})}.",
    )
    response = learner_client.post("/shipments", json={"to": "FR", "grams": 50})
    tracking = f"CX{learner_services.data.price_of('label-FR', '50'):06d}FR"
    require(
        response.status_code == 201 and body_of(response).get("tracking") == tracking,
        f'POST /shipments {{"to": "FR", "grams": 50}} answered {show(response)}; expected 201 '
        f"with the carrier's tracking number {tracking!r}.",
    )
