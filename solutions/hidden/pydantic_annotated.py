import json
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, brief, require, rule, same_answer
from autograder.engine.proptest import examples

search_text = st.one_of(
    st.text(max_size=60), st.sampled_from(["dun", "le guin", "ASIMOV", "the", "x" * 50])
)
limits = st.one_of(st.none(), st.integers(min_value=-3, max_value=130), st.text(max_size=3))
reviews = st.fixed_dictionaries(
    {},
    optional={
        "rating": st.one_of(st.integers(min_value=-2, max_value=8), st.text(max_size=2)),
        "comment": st.one_of(st.text(max_size=10), st.just("y" * 500), st.just("y" * 501)),
    },
)


@rule(
    "security-7",
    hint=(
        "Every search within the bounds answers as before; outside them, a 422 naming the"
        " parameter."
    ),
)
@examples
@given(q=st.one_of(st.none(), search_text), limit=limits)
def test_any_search_gets_the_reference_answer(learner_client, reference_client, q, limit):
    """any search text and limit get the reference's answer"""
    params = {key: value for key, value in (("q", q), ("limit", limit)) if value is not None}
    url = "/books/search" + (
        "?" + "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items()) if params else ""
    )
    same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")


@rule(
    "security-7",
    hint=(
        "Reviews are checked by the model: rating 1 to 5, comment up to 500 characters, "
        "both optional as before."
    ),
)
@examples
@given(book_id=st.integers(min_value=-20, max_value=20), review=reviews)
def test_any_review_gets_the_reference_answer(learner_client, reference_client, book_id, review):
    """any book id and review get the reference's answer"""
    url = f"/books/{book_id}"
    same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")
    url += "/reviews"
    same_answer(
        *ask_both(learner_client, reference_client, "POST", url, json=review),
        f"POST {url} with {brief(review)}",
    )


KEYS = (
    "type",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "default",
)


def _documented(spec):
    found = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                found[f"{method.upper()} {path} {parameter['in']} {parameter['name']}"] = (
                    parameter.get("required", False),
                    {k: schema[k] for k in KEYS if k in schema},
                )
    body = spec["paths"].get("/books/{book_id}/reviews", {}).get("post", {}).get("requestBody", {})
    ref = body.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
    review = spec.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
    for name, schema in review.get("properties", {}).items():
        found[f"review field {name}"] = (
            name in review.get("required", []),
            {k: schema[k] for k in KEYS if k in schema},
        )
    return found


@rule(
    "pydantic-4",
    hint=(
        "Every bound belongs in the declaration, where OpenAPI documents it, not in the "
        "function body."
    ),
)
def test_the_documented_contract_matches_the_reference(learner_contract, reference_contract):
    """every documented parameter and review field matches the reference's"""
    mine, theirs = _documented(learner_contract), _documented(reference_contract)
    lines = []
    for key in sorted(set(mine) | set(theirs)):
        if mine.get(key) != theirs.get(key):
            lines.append(
                f"{key}: yours is documented as {json.dumps(mine.get(key))}, "
                f"the reference's as {json.dumps(theirs.get(key))} (required, schema)."
            )
    require(not lines, "\n".join(lines))
