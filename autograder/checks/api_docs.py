import re
from decimal import Decimal

from autograder.engine.checkkit import (
    body_of,
    expect_status,
    operation_of,
    require,
    rule,
    show,
)

OPERATIONS = (("GET", "/invoices"), ("GET", "/invoices/{invoice_id}"), ("POST", "/invoices"))
SUCCESS = {"GET": "200", "POST": "201"}
FASTAPI_DEFAULT_RESPONSE = "Successful Response"


def _generated_summary(operation, method, path):
    """The summary FastAPI writes when none is given: the function's name, title-cased.

    The function's name is read off the operation id, which FastAPI builds as name, path and
    method (``read_invoice_invoices__invoice_id__get``)."""
    suffix = re.sub(r"\W", "_", path) + "_" + method.lower()
    name = operation.get("operationId", "").removesuffix(suffix)
    return name.replace("_", " ").title()


@rule(
    "api-3",
    hint=(
        "Without `summary=`, FastAPI titles the operation after the function's name. Write a "
        'short title a client understands: `summary="Read one invoice"`.'
    ),
)
def test_every_operation_has_a_summary_of_its_own(learner_contract):
    """every operation has a summary written for a client, each a different one"""
    summaries = {}
    for method, path in OPERATIONS:
        operation = operation_of(learner_contract, method, path)
        summary = " ".join(str(operation.get("summary", "")).split())
        generated = _generated_summary(operation, method, path)
        require(
            summary and summary != generated,
            f"{method} {path} is titled {summary!r}: FastAPI made that up from the function's "
            "name. Give it a summary of its own with `summary=`.",
        )
        summaries.setdefault(summary.lower(), []).append(f"{method} {path}")
    shared = [names for names in summaries.values() if len(names) > 1]
    require(not shared, f"{' and '.join(shared[0]) if shared else ''} share one summary.")


@rule(
    "api-3",
    hint=(
        "`description=` (or a docstring) says what the operation does in a sentence or two: "
        "what it returns, what it computes, when it fails."
    ),
)
def test_every_operation_has_a_description(learner_contract):
    """every operation has a description of a few words at least"""
    for method, path in OPERATIONS:
        description = str(operation_of(learner_contract, method, path).get("description", ""))
        require(
            len(description.split()) >= 3,
            f"{method} {path} has the description {description!r}. Say in a sentence what it "
            "does, with `description=` or a docstring.",
        )


@rule(
    "api-3",
    hint=(
        '`response_description=` replaces FastAPI\'s "Successful Response" with what the '
        'answer holds: "The invoice, with its lines and total".'
    ),
)
def test_every_success_response_says_what_it_holds(learner_contract):
    """every success response is described, not left as FastAPI's "Successful Response\""""
    for method, path in OPERATIONS:
        responses = operation_of(learner_contract, method, path).get("responses", {})
        success = responses.get(SUCCESS[method], {})
        described = str(success.get("description", ""))
        require(
            described and described != FASTAPI_DEFAULT_RESPONSE,
            f"{method} {path}'s {SUCCESS[method]} response is described as {described!r}. "
            "Say what it holds with `response_description=`.",
        )


@rule(
    "ready-1",
    hint="Document the 404 too: `responses=` on the read, with the error's model.",
)
def test_the_read_documents_its_404(learner_contract):
    """GET /invoices/{invoice_id} documents its 404"""
    responses = operation_of(learner_contract, "GET", "/invoices/{invoice_id}").get("responses", {})
    require(
        "404" in responses,
        f"GET /invoices/{{invoice_id}} documents {sorted(responses)}; it answers 404 for an "
        "unknown invoice, so the document must say so.",
    )


@rule("ready-1", hint="Documentation changes what /docs says, never what the API does.")
def test_the_api_answers_as_before(learner_client):
    """the API answers as before: 201 on issue, the total computed, 404 when missing"""
    invoice = {
        "customer": "Lovelace Ltd",
        "lines": [
            {"item": "Gears", "quantity": 3, "unit_price": "12.50"},
            {"item": "Cards", "quantity": 100, "unit_price": "0.20"},
        ],
    }
    created = learner_client.post("/invoices", json=invoice)
    expect_status(created, 201, "POST /invoices")
    body = body_of(created)
    require(
        isinstance(body, dict) and Decimal(str(body.get("total"))) == Decimal("57.50"),
        f"POST /invoices answered {show(created)}; its total should be 57.50.",
    )
    read = learner_client.get(f"/invoices/{body['id']}")
    expect_status(read, 200, f"GET /invoices/{body['id']}")
    expect_status(learner_client.get("/invoices/99999"), 404, "GET /invoices/99999")
