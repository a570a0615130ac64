import json

from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import (
    ask_both,
    brief,
    expect_status,
    operation_of,
    require,
    resolve,
    rule,
    same_answer,
)
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.fresh_start import expect_fresh_apps_agree
from autograder.engine.proptest import examples

names = st.one_of(st.text(max_size=110), st.integers(), st.none())
emails = st.one_of(st.emails(), st.text(max_size=20), st.just("ada@example.org"))
ages = st.one_of(st.integers(min_value=-5, max_value=200), st.none(), st.text(max_size=3))
payloads = st.fixed_dictionaries(
    {},
    optional={"name": names, "email": emails, "age": ages, "is_admin": st.booleans()},
)
valid_users = st.fixed_dictionaries(
    {
        "name": st.text(min_size=1, max_size=100),
        "email": st.sampled_from(["ada@example.org", "grace.hopper@navy.mil", "a+b@c-d.io"]),
    },
    optional={"age": st.one_of(st.integers(min_value=0, max_value=150), st.none())},
)


@rule(
    "security-1",
    hint=(
        "The model accepts what is valid and rejects every other body with a 422 naming the field."
    ),
)
@examples
@given(payload=payloads)
def test_any_body_gets_the_reference_answer(learner_client, reference_client, payload):
    """any user body is accepted or rejected as the reference does"""
    line = f"POST /users with {brief(payload)}"
    same_answer(
        *ask_both(learner_client, reference_client, "POST", "/users", json=payload),
        line,
        ignore_keys=("id",),
    )


@rule("security-1", hint="A body that is not a JSON object is a 422 too.")
@examples
@given(raw=st.one_of(st.just("[]"), st.just('"ada"'), st.just("null"), st.just("{")))
def test_bodies_that_are_not_objects_are_rejected(learner_client, reference_client, raw):
    """a body that is not a JSON object is rejected like the reference rejects it"""
    headers = {"content-type": "application/json"}
    same_answer(
        *ask_both(learner_client, reference_client, "POST", "/users", content=raw, headers=headers),
        f"POST /users with the body {raw}",
    )


@rule(
    "pydantic-1",
    hint="Store what the model validated, and read it back through the same response model.",
)
@examples
@given(user=valid_users)
def test_a_created_user_reads_back(learner_client, reference_client, user):
    """a created user reads back exactly as created"""
    created = learner_client.post("/users", json=user)
    expect_status(created, 201, f"POST /users with {brief(user)}")
    user_id = created.json()["id"]
    reference_id = reference_client.post("/users", json=user).json()["id"]
    same_answer(
        learner_client.get(f"/users/{user_id}"),
        reference_client.get(f"/users/{reference_id}"),
        f"GET /users/{user_id} after creating {brief(user)}",
        ignore_keys=("id",),
    )
    same_answer(
        *ask_both(learner_client, reference_client, "GET", "/users/987654"),
        "GET /users/987654 (no such user)",
    )


def _body_schema(spec, path):
    operation = operation_of(spec, "post", path)
    schema = (
        operation.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema", {})
    )
    return resolve(spec, schema)


def _constraints(schema, spec):
    keys = ("type", "minLength", "maxLength", "pattern", "minimum", "maximum", "anyOf")
    properties = {
        name: {k: v for k, v in resolve(spec, prop).items() if k in keys}
        for name, prop in schema.get("properties", {}).items()
    }
    return properties, sorted(schema.get("required", []))


@rule(
    "security-1",
    hint="The rules on the model's fields are what OpenAPI documents: keep them all there.",
)
def test_the_documented_body_matches_the_reference(learner_contract, reference_contract):
    """the documented request body states the same rules as the reference's"""
    mine = _constraints(_body_schema(learner_contract, "/users"), learner_contract)
    theirs = _constraints(_body_schema(reference_contract, "/users"), reference_contract)
    require(
        mine == theirs,
        f"The OpenAPI schema of POST /users documents the fields {json.dumps(mine[0])} "
        f"(required: {mine[1]}); the reference documents {json.dumps(theirs[0])} "
        f"(required: {theirs[1]}).",
    )


@rule("security-1", hint="Keep the fields' limits as the model declared them.")
def test_limits_match_the_reference(learner_client, reference_client, reference_contract):
    """names and ages at each limit are accepted or refused as by the reference"""
    expect_same_at_the_edges(
        learner_client,
        reference_client,
        reference_contract,
        "POST",
        "/users",
        body={"name": "Ada", "email": "ada@example.org", "age": 36},
        ignore_keys=("id",),
    )


@rule("pydantic-1", hint="New users are numbered from 1 and read back as created.")
def test_a_fresh_app_answers_like_the_reference(start_learner_app, start_reference_app):
    """on a freshly started app, users are created and read back as by the reference"""
    steps = [
        ("POST", "/users", {"json": {"name": "Ada", "email": "ada@example.org", "age": 36}}),
        ("POST", "/users", {"json": {"name": "Grace", "email": "grace@navy.mil"}}),
        ("GET", "/users/1", {}),
        ("GET", "/users/2", {}),
        ("GET", "/users/3", {}),
    ]
    expect_fresh_apps_agree(start_learner_app, start_reference_app, steps)
