import json

from autograder.engine.checkkit import (
    body_of,
    expect_status,
    operation_of,
    require,
    resolve,
    rule,
    show,
)
from autograder.engine.conformance import expect_conformance

READ = ("GET", "/tables/{table_id}")
RESERVE = ("POST", "/tables/{table_id}/reservations")


def _declared_error(contract, method, path, code, seen):
    """Fail unless ``code`` is declared for the operation, with a body model holding ``detail``."""
    responses = operation_of(contract, method, path).get("responses", {})
    require(
        code in responses,
        f"{seen} But {method} {path} documents only {sorted(responses)}: a client generated from "
        f"the document does not know {code} can come back. Declare it with `responses=`.",
    )
    schema = responses[code].get("content", {}).get("application/json", {}).get("schema", {})
    model = resolve(contract, schema)
    detail = model.get("properties", {}).get("detail", {})
    require(
        detail.get("type") == "string",
        f"{method} {path} declares {code} "
        + (f"with the body schema {json.dumps(schema)}" if schema else "without a body model")
        + ": "
        'say what the error\'s body holds with a model (`{"model": ErrorMessage}`, whose '
        "`detail` is a string), so clients can read it.",
    )


@rule(
    "api-4",
    hint=(
        '`responses={404: {"model": ErrorMessage, "description": "..."}}` on the route '
        "puts the 404 and its body in the document."
    ),
)
def test_an_unknown_table_is_a_documented_404(learner_client, learner_contract):
    """GET /tables/{table_id} answers 404 for an unknown table, and documents it with its body"""
    response = learner_client.get("/tables/99")
    expect_status(response, 404, "GET /tables/99")
    seen = f"GET /tables/99 answered {show(response)}."
    _declared_error(learner_contract, *READ, "404", seen)


@rule(
    "api-4",
    hint=(
        "The reservation can fail two ways: no such table (404) and already booked (409). "
        "Declare both on it."
    ),
)
def test_a_double_booking_is_a_documented_409(learner_client, learner_contract):
    """booking a table twice for one day answers 409, and the operation documents it"""
    url = "/tables/2/reservations"
    booking = {"guest": "Grace", "day": "2031-05-17"}
    first = learner_client.post(url, json=booking)
    require(
        first.status_code in (201, 409),
        f"POST {url} {json.dumps(booking)} answered {show(first)}.",
    )
    second = learner_client.post(url, json=booking)
    expect_status(second, 409, f"POST {url} {json.dumps(booking)} a second time")
    seen = f"Booking the same table twice answered {show(second)}."
    _declared_error(learner_contract, *RESERVE, "409", seen)


@rule("api-4", hint="Reserving an unknown table is a 404 too: declare it on the reservation.")
def test_reserving_an_unknown_table_is_a_documented_404(learner_client, learner_contract):
    """reserving an unknown table answers 404, and the reservation documents it"""
    url = "/tables/99/reservations"
    response = learner_client.post(url, json={"guest": "Ada", "day": "2031-05-18"})
    expect_status(response, 404, f"POST {url}")
    body = body_of(response)
    require(
        isinstance(body, dict) and isinstance(body.get("detail"), str),
        f'POST {url} answered {show(response)}; an error\'s body is {{"detail": "..."}}.',
    )
    _declared_error(learner_contract, *RESERVE, "404", f"POST {url} answered {show(response)}.")


@rule(
    "api-4",
    hint="schemathesis reads the document and calls the app: every status it meets must be there.",
)
def test_the_app_keeps_its_own_contract(learner_client, learner_contract):
    """schemathesis finds no answer the OpenAPI document does not declare"""
    expect_conformance(
        learner_client, learner_contract, operations=[" ".join(READ), " ".join(RESERVE)]
    )
