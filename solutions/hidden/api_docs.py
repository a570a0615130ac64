from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, operation_of, require, rule, same_answer, show
from autograder.engine.documented import expect_documented_like_the_reference
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.fresh_start import expect_fresh_apps_agree
from autograder.engine.proptest import examples

OPERATIONS = (("GET", "/invoices"), ("GET", "/invoices/{invoice_id}"), ("POST", "/invoices"))

lines = st.fixed_dictionaries(
    {
        "item": st.text(
            st.characters(codec="utf-8", categories=("L", "N")), min_size=0, max_size=8
        ),
        "quantity": st.integers(min_value=-1, max_value=1001),
        "unit_price": st.decimals(min_value=-1, max_value=10_000, places=2).map(str),
    }
)
invoices = st.fixed_dictionaries(
    {
        "customer": st.sampled_from(["Babbage & Co", "", "Hopper"]),
        "lines": st.lists(lines, max_size=3),
    }
)


@rule("api-3", hint="Each operation's summary and description say something different.")
def test_descriptions_are_not_copied_between_operations(learner_contract):
    """no two operations share a description"""
    seen = {}
    for method, path in OPERATIONS:
        description = " ".join(
            str(operation_of(learner_contract, method, path).get("description", "")).split()
        )
        require(
            description not in seen,
            f"{method} {path} and {seen.get(description)} have the same description: each says "
            "what its own operation does.",
        )
        seen[description] = f"{method} {path}"


@rule("ready-1", hint="Document the same operations and status codes as before.")
def test_the_same_operations_and_codes_as_the_reference(learner_contract, reference_contract):
    """the document has the reference's operations and status codes"""
    for method, path in OPERATIONS:
        mine = sorted(operation_of(learner_contract, method, path).get("responses", {}))
        theirs = sorted(operation_of(reference_contract, method, path).get("responses", {}))
        require(mine == theirs, f"{method} {path} documents {mine}; the reference {theirs}.")


@rule("ready-1", hint="Issuing invoices answers as before: 201 with the total, 422 for bad ones.")
@examples
@given(invoice=invoices)
def test_any_invoice_gets_the_reference_answer(learner_client, reference_client, invoice):
    """generated invoices get the reference's answer"""
    same_answer(
        *ask_both(learner_client, reference_client, "POST", "/invoices", json=invoice),
        "POST /invoices",
        ignore_keys={"id"},
    )


@rule("ready-1", hint="Keep the limits on an invoice, its lines and its id as they were.")
def test_limits_match_the_reference(learner_client, reference_client, reference_contract):
    """customers, lines and ids at each limit are accepted or refused as by the reference"""
    invoice = {
        "customer": "Edge Ltd",
        "lines": [{"item": "pen", "quantity": 3, "unit_price": "1.50"}],
    }
    for method, path, kwargs in (
        ("POST", "/invoices", {"body": invoice}),
        ("GET", "/invoices/{invoice_id}", {"path_params": {"invoice_id": 10**6}}),
    ):
        expect_same_at_the_edges(
            learner_client,
            reference_client,
            reference_contract,
            method,
            path,
            ignore_keys=("id",),
            **kwargs,
        )


@rule("ready-1", hint="A new app has no invoices; each one issued reads back, listed in order.")
def test_a_fresh_app_answers_like_the_reference(start_learner_app, start_reference_app):
    """on a freshly started app, invoices are issued, read and listed as by the reference"""
    first = {"customer": "Ada", "lines": [{"item": "gear", "quantity": 2, "unit_price": "3.25"}]}
    second = {"customer": "Grace", "lines": [{"item": "tape", "quantity": 1, "unit_price": "9"}]}
    steps = [
        ("GET", "/invoices", {}),
        ("GET", "/invoices/1", {}),
        ("POST", "/invoices", {"json": first}),
        ("POST", "/invoices", {"json": second}),
        ("GET", "/invoices/1", {}),
        ("GET", "/invoices/2", {}),
        ("GET", "/invoices", {}),
    ]
    expect_fresh_apps_agree(start_learner_app, start_reference_app, steps)


@rule("api-3", hint="Document what the reference documents: statuses, their bodies, a title.")
def test_documented_like_the_reference(learner_contract, reference_contract):
    """every status, error body and description the reference documents is there (any words)"""
    expect_documented_like_the_reference(learner_contract, reference_contract)


@rule("ready-1", hint="Prices keep their limits: at most 10 digits, 2 of them after the point.")
def test_prices_at_their_limits_match_the_reference(learner_client, reference_client):
    """unit prices at the limits of their digits are accepted or refused as by the reference"""
    # Decimal's digit limits are not in the OpenAPI document, so the edges are written out.
    for price in ("1.23", "1.234", "0.001", "12345678.90", "123456789.01", "99999999.99"):
        invoice = {"customer": "Edge", "lines": [{"item": "x", "quantity": 1, "unit_price": price}]}
        mine, theirs = ask_both(learner_client, reference_client, "POST", "/invoices", json=invoice)
        require(
            (mine.status_code == 422) == (theirs.status_code == 422),
            f"POST /invoices with a unit price of {price}: your app answered {show(mine)}, the "
            f"reference answered {show(theirs)}. Keep the price's digit limits.",
        )
