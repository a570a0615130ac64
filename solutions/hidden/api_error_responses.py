import json

from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import (
    ask_both,
    body_of,
    operation_of,
    require,
    resolve,
    rule,
    same_answer,
    show,
)
from autograder.engine.documented import expect_documented_like_the_reference
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.fresh_start import expect_fresh_apps_agree
from autograder.engine.proptest import examples

OPERATIONS = (("GET", "/tables/{table_id}"), ("POST", "/tables/{table_id}/reservations"))


def _errors(contract, method, path):
    """Each documented error status, with the fields of its body model."""
    documented = {}
    for code, response in operation_of(contract, method, path).get("responses", {}).items():
        if code.startswith(("4", "5")) and code != "422":
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            documented[code] = sorted(resolve(contract, schema).get("properties", {}))
    return documented


@rule("api-4", hint="Declare the same error statuses as the reference, each with a detail model.")
def test_the_documented_errors_match_the_reference(learner_contract, reference_contract):
    """each operation documents the reference's error statuses, each with a body model"""
    for method, path in OPERATIONS:
        mine = _errors(learner_contract, method, path)
        theirs = _errors(reference_contract, method, path)
        require(
            mine == theirs,
            f"{method} {path} documents the errors {json.dumps(mine)} (status: body fields); "
            f"the reference documents {json.dumps(theirs)}.",
        )


@rule("api-4", hint="Every reservation gets the reference's answer: 201, 404, 409 or 422.")
@examples
@given(
    table_id=st.integers(min_value=0, max_value=5),
    day=st.dates().map(lambda d: d.replace(year=2033)),
    guest=st.sampled_from(["Ada", "Grace", ""]),
)
def test_any_reservation_gets_the_reference_answer(
    learner_client, reference_client, table_id, day, guest
):
    """generated reservations, repeats included, get the reference's answers"""
    url = f"/tables/{table_id}/reservations"
    body = {"guest": guest, "day": day.isoformat()}
    learner, reference = ask_both(learner_client, reference_client, "POST", url, json=body)
    request_line = f"POST {url} {json.dumps(body)}"
    if _both_refusals_apply(reference_client, table_id, reference):
        _expect_either_refusal(learner, request_line)
        return
    same_answer(learner, reference, request_line, compare_body=False)


def _both_refusals_apply(reference_client, table_id, reference):
    """Whether the table is unknown AND the body invalid: the reference refuses the body (422,
    every error in the body), and answers 404 for the table itself."""
    if reference.status_code != 422:
        return False
    refusal = body_of(reference)
    errors = refusal.get("detail") if isinstance(refusal, dict) else None
    if not isinstance(errors, list) or not errors:
        return False
    locations = [error.get("loc", ()) if isinstance(error, dict) else () for error in errors]
    if any(not loc or loc[0] != "body" for loc in locations):
        return False
    return reference_client.get(f"/tables/{table_id}").status_code == 404


def _expect_either_refusal(learner, request_line):
    """The lesson teaches each refusal, not which of two comes first: looking the table up in a
    dependency (which FastAPI runs before it validates the body) answers 404 first."""
    if learner.status_code == 422:
        return
    require(
        learner.status_code == 404,
        f"{request_line}: the table does not exist and the body is invalid, so 404 or 422 is "
        f"right; your app answered {show(learner)}.",
    )
    detail = body_of(learner)
    require(
        isinstance(detail, dict)
        and set(detail) == {"detail"}
        and isinstance(detail["detail"], str),
        f"{request_line}: your app answered {show(learner)}; a 404 is right for an unknown "
        'table, with the documented body `{"detail": "..."}` (the ErrorMessage model).',
    )


@rule("api-4", hint="Keep the limits on a reservation and on the table id as they were.")
def test_limits_match_the_reference(learner_client, reference_client, reference_contract):
    """guests and table ids at each limit are accepted or refused as by the reference"""
    reservation = {"guest": "Edge", "day": "2031-01-01"}
    for method, path, kwargs in (
        ("POST", "/tables/{table_id}/reservations",
         {"path_params": {"table_id": 3}, "body": reservation}),
        ("GET", "/tables/{table_id}", {"path_params": {"table_id": 2}}),
    ):  # fmt: skip
        expect_same_at_the_edges(
            learner_client, reference_client, reference_contract, method, path, **kwargs
        )


@rule("api-4", hint="A new app has its three tables; a day booked twice is a 409.")
def test_a_fresh_app_answers_like_the_reference(start_learner_app, start_reference_app):
    """on a freshly started app, tables and reservations answer as the reference's"""
    booking = {"guest": "Ada", "day": "2031-06-01"}
    steps = [("GET", f"/tables/{number}", {}) for number in range(1, 5)]
    steps += [
        ("POST", "/tables/2/reservations", {"json": booking}),
        ("POST", "/tables/2/reservations", {"json": {**booking, "guest": "Grace"}}),
        ("POST", "/tables/3/reservations", {"json": booking}),
        ("POST", "/tables/9/reservations", {"json": booking}),
    ]
    expect_fresh_apps_agree(start_learner_app, start_reference_app, steps)


@rule("api-4", hint="Document what the reference documents: statuses, their bodies, a title.")
def test_documented_like_the_reference(learner_contract, reference_contract):
    """every status, error body and description the reference documents is there (any words)"""
    expect_documented_like_the_reference(learner_contract, reference_contract)
