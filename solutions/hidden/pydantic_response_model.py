import json

from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import (
    ask_both,
    require,
    resolve,
    response_schema,
    rule,
    same_answer,
)
from autograder.engine.proptest import examples


@rule("pydantic-2", hint="Any id answers the public fields or 404, as before.")
@examples
@given(user_id=st.one_of(st.integers(min_value=-3, max_value=5), st.integers()))
def test_any_user_id_gets_the_reference_answer(learner_client, reference_client, user_id):
    """any user id gets the reference's answer"""
    url = f"/users/{user_id}"
    same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")


@rule("pydantic-2", hint="The list holds every user, with the public fields only.")
def test_the_list_matches_the_reference(learner_client, reference_client):
    """the user list matches the reference's"""
    same_answer(*ask_both(learner_client, reference_client, "GET", "/users"), "GET /users")


def _documented(spec, path):
    schema = response_schema(spec, "get", path, "200")
    shape = schema.get("type") or ("object" if "$ref" in schema else "nothing")
    if shape == "array":
        shape, schema = "array", schema.get("items", {})
    schema = resolve(spec, schema)
    properties = {name: prop.get("type") for name, prop in schema.get("properties", {}).items()}
    return shape, properties, sorted(schema.get("required", []))


@rule("mandate-4", hint="Both operations document the public model: a list of it, and one of it.")
def test_the_documented_responses_match_the_reference(learner_contract, reference_contract):
    """the OpenAPI response schemas document what the reference documents"""
    for path in ("/users", "/users/{user_id}"):
        mine = _documented(learner_contract, path)
        theirs = _documented(reference_contract, path)
        require(
            mine == theirs,
            f"The OpenAPI 200 response of GET {path} documents {json.dumps(mine)} "
            f"(shape, fields, required); the reference documents {json.dumps(theirs)}.",
        )
