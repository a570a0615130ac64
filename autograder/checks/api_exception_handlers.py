import ast
import json

from autograder.engine import source_rules
from autograder.engine.checkkit import body_of, expect_status, require, rule, show
from autograder.engine.conformance import expect_conformance

DOMAIN_ERRORS = {
    "BookingError",
    "RoomNotFound",
    "RoomUnavailable",
    "PaymentDeclined",
    "StayTooLong",
    "Exception",
    "BaseException",
}
# What the service writes for its logs: none of it may reach a guest.
INTERNAL_WORDS = (
    "fraud", "rule R-17", "rule R-09", "expired 2029-11", "provider", "rooms_v2", "LONG_STAY_MAX",
    "overlaps booking",
)  # fmt: skip


def booking(room_id, check_in, nights=2, card="tok_visa_4242"):
    return {"room_id": room_id, "check_in": check_in, "nights": nights, "card_token": card}


def _expect_error(response, status, request_line, public):
    expect_status(response, status, request_line)
    body = body_of(response)
    leaked = [word for word in INTERNAL_WORDS if word in response.text]
    require(
        not leaked,
        f"{request_line} answered {show(response)}: the guest reads the service's log text "
        f"({', '.join(leaked)}). Answer with the error's `public` message only.",
    )
    require(
        body == {"detail": public},
        f"{request_line} answered {show(response)}; expected {json.dumps({'detail': public})}.",
    )


@rule(
    "ready-4",
    hint=(
        "An exception nobody handles is a 500. Register one handler for the whole family: "
        "`@app.exception_handler(BookingError)`."
    ),
)
def test_an_unknown_room_is_a_404(learner_client):
    """GET /rooms/{room_id} answers 404 for an unknown room, not 500"""
    _expect_error(learner_client.get("/rooms/99"), 404, "GET /rooms/99", "There is no such room")


@rule(
    "api-5",
    hint=(
        'A declined payment is 402 Payment Required, and the guest reads "The payment was '
        "declined\": `error.public`, never `str(error)`, which holds the provider's reply."
    ),
)
def test_a_declined_payment_is_a_402_that_reveals_nothing(learner_client):
    """a declined card answers 402 with the public message; nothing from the logs leaks"""
    wanted = booking(1, "2030-03-01", card="declined_5105")
    _expect_error(
        learner_client.post("/bookings", json=wanted),
        402,
        "POST /bookings with a declined card",
        "The payment was declined",
    )


@rule(
    "api-5",
    hint=(
        "Look the status up along `type(error).__mro__`: `CardExpired` is a `PaymentDeclined`, "
        "so it is a 402 too, with its own public message. A lookup of `type(error)` alone "
        "misses every subclass."
    ),
)
def test_a_subclass_of_a_mapped_error_is_mapped_too(learner_client):
    """an expired card (a kind of declined payment) answers 402 with its own public message"""
    wanted = booking(2, "2030-04-01", card="expired_0003")
    _expect_error(
        learner_client.post("/bookings", json=wanted),
        402,
        "POST /bookings with an expired card (CardExpired, a subclass of PaymentDeclined)",
        "The card has expired",
    )


@rule("api-5", hint="Nights already taken are a conflict with the room's state: 409.")
def test_a_taken_room_is_a_409(learner_client):
    """a booking over nights already taken answers 409 with the public message"""
    first = learner_client.post("/bookings", json=booking(2, "2030-04-10", nights=3))
    require(
        first.status_code in (201, 409),
        f"POST /bookings for free nights answered {show(first)}; expected 201.",
    )
    _expect_error(
        learner_client.post("/bookings", json=booking(2, "2030-04-11")),
        409,
        "POST /bookings over nights already taken",
        "The room is taken on some of those nights",
    )


@rule(
    "ready-4",
    hint=(
        "A BookingError the routes never name (StayTooLong) must still become an HTTP error: "
        "one handler for the base class covers every kind, including those added later."
    ),
)
def test_every_other_booking_error_is_a_400(learner_client):
    """a BookingError with no status of its own (a stay too long) answers 400"""
    _expect_error(
        learner_client.post("/bookings", json=booking(1, "2030-06-01", nights=20)),
        400,
        "POST /bookings for 20 nights",
        "A stay is at most 14 nights",
    )


def _routes_catching_domain_errors(source):
    routes = {endpoint.name for endpoint in source_rules.endpoints(source)}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in routes:
            for inner in ast.walk(node):
                if isinstance(inner, ast.ExceptHandler) and _catches_domain(inner.type):
                    found.append((node.name, inner.lineno))
    return found


def _catches_domain(caught):
    if caught is None:
        return True  # a bare except catches everything
    names = {n.id for n in ast.walk(caught) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(caught) if isinstance(n, ast.Attribute)}
    return bool(names & DOMAIN_ERRORS)


@rule(
    "ready-4",
    hint=(
        "Take the try/except out of the routes: the exception handler is the one place that "
        "turns a BookingError into an HTTP answer."
    ),
)
def test_no_route_maps_errors_itself(learner_source):
    """no route catches the booking errors itself: they are mapped in one place"""
    found = _routes_catching_domain_errors(learner_source)
    where = ", ".join(f"`{name}` (line {line})" for name, line in found)
    require(
        not found,
        f"{where} catches booking errors inside the route. Each route that does so is one more "
        "place to keep in step, and the next route will forget. Let the exception handler do it.",
    )


@rule(
    "api-4",
    hint="Declare the error statuses each route can answer with `responses=`.",
)
def test_the_app_keeps_its_own_contract(learner_client, learner_contract):
    """schemathesis finds no server error and no undeclared answer"""
    expect_conformance(
        learner_client, learner_contract, operations=["GET /rooms/{room_id}", "POST /bookings"]
    )
