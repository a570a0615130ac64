import json

from autograder.engine.checkkit import (
    body_of,
    expect_status,
    is_model_schema,
    require,
    resolve,
    response_schema,
    rule,
    show,
)

PUBLIC_FIELDS = {"id", "name", "email"}


def _leaked(user):
    return sorted(set(user) - PUBLIC_FIELDS) if isinstance(user, dict) else []


@rule(
    "pydantic-2",
    hint=(
        "Declare a public model without password_hash and return it: the response model "
        "filters what leaves."
    ),
)
def test_one_user_shows_no_secrets(learner_client):
    """GET /users/1 answers with the public fields only"""
    response = learner_client.get("/users/1")
    expect_status(response, 200, "GET /users/1")
    user = body_of(response)
    leaked = _leaked(user)
    require(
        not leaked,
        f"GET /users/1 answered {show(response)}: {', '.join(leaked)} left the API. "
        "Whatever you return is sent unless a response model filters it.",
    )
    require(
        isinstance(user, dict) and set(user) == PUBLIC_FIELDS,
        f"GET /users/1 answered {show(response)}; expected exactly {sorted(PUBLIC_FIELDS)}.",
    )


@rule("pydantic-2", hint="The list needs the same filter: `-> list[UserPublic]`.")
def test_the_list_shows_no_secrets(learner_client):
    """GET /users lists every user with the public fields only"""
    response = learner_client.get("/users")
    expect_status(response, 200, "GET /users")
    users = body_of(response)
    require(
        isinstance(users, list) and len(users) == 2,
        f"GET /users answered {show(response)}; expected both users.",
    )
    leaked = sorted({key for user in users for key in _leaked(user)})
    require(not leaked, f"GET /users answered {show(response)}: {', '.join(leaked)} left the API.")


@rule("pydantic-2", hint="Keep the 404 for an unknown id.")
def test_unknown_users_are_404(learner_client):
    """an unknown user is still a 404"""
    expect_status(learner_client.get("/users/999"), 404, "GET /users/999")


def _model_of(contract, method, path, schema):
    """The model schema a documented response is made of (the item model of a list)."""
    require(
        bool(schema),
        f"{method} {path} declares no response model: its OpenAPI response schema is empty, "
        "so clients cannot know what they get, and nothing filters what you return.",
    )
    item = schema.get("items", {}) if schema.get("type") == "array" else schema
    require(
        is_model_schema(contract, item),
        f"{method} {path} documents its answer as {json.dumps(schema)}, which is not a "
        "Pydantic model: it documents no fields and filters none.",
    )
    return resolve(contract, item)


@rule(
    "mandate-4",
    hint=(
        "Annotate `-> UserPublic` and `-> list[UserPublic]`, "
        "with UserPublic holding id, name and email only."
    ),
)
def test_both_operations_declare_a_public_model(learner_contract):
    """both operations document a response model with the public fields only"""
    for method, path in (("GET", "/users"), ("GET", "/users/{user_id}")):
        schema = response_schema(learner_contract, method, path, "200")
        model = _model_of(learner_contract, method, path, schema)
        fields = set(model.get("properties", {}))
        require(
            fields == PUBLIC_FIELDS,
            f"{method} {path} documents `{model.get('title', '?')}` with the fields "
            f"{sorted(fields)}; the public contract is {sorted(PUBLIC_FIELDS)}.",
        )
    list_schema = response_schema(learner_contract, "GET", "/users", "200")
    require(
        list_schema.get("type") == "array",
        f"GET /users documents {json.dumps(list_schema)}; "
        "it returns a list, so declare `list[...]` of the public model.",
    )
