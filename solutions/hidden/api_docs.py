from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, operation_of, require, rule, same_answer
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
