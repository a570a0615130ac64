import json
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, brief, require, rule, same_answer
from autograder.engine.documented import expect_documented_like_the_reference
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.fresh_start import expect_fresh_apps_agree
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


@rule("pydantic-4", hint="Keep each bound exactly where the exercise puts it.")
def test_every_bound_matches_the_reference(learner_client, reference_client, reference_contract):
    """queries, ids and ratings at each bound are accepted or refused as by the reference"""
    for method, path, kwargs in (
        ("GET", "/books/search", {"params": {"q": "the", "limit": 10}}),
        ("GET", "/books/{book_id}", {"path_params": {"book_id": 2}}),
        ("POST", "/books/{book_id}/reviews",
         {"path_params": {"book_id": 1}, "body": {"rating": 4, "comment": "good"}}),
    ):  # fmt: skip
        expect_same_at_the_edges(
            learner_client, reference_client, reference_contract, method, path, **kwargs
        )


@rule("pydantic-4", hint="The catalogue, and a review of a book that is not in it, as before.")
def test_a_fresh_app_answers_like_the_reference(start_learner_app, start_reference_app):
    """a freshly started app reads its catalogue and refuses unknown books as the reference"""
    steps = [("GET", f"/books/{number}", {}) for number in range(1, 15)]
    steps += [
        ("GET", "/books/search", {"params": {"q": "LEM"}}),
        ("POST", "/books/999/reviews", {"json": {"rating": 3}}),
        ("POST", "/books/2/reviews", {"json": {"rating": 5, "comment": "again"}}),
    ]
    expect_fresh_apps_agree(start_learner_app, start_reference_app, steps)


@rule("security-7", hint="Document each bound's meaning with `description=`, in the type.")
def test_the_bounds_are_described_like_the_reference(learner_contract, reference_contract):
    """every parameter and field the reference describes is described (in any words)"""
    expect_documented_like_the_reference(learner_contract, reference_contract)
