import json

from autograder.engine.checkkit import (
    body_of,
    brief,
    expect_status,
    is_model_schema,
    operation_of,
    require,
    response_schema,
    rule,
    show,
)

GOOD_USER = {"name": "Ada Lovelace", "email": "ada@example.org", "age": 36}


def _post(client, payload):
    line = f"POST /users with {brief(payload)}"
    return client.post("/users", json=payload), line


def _rejected_fields(response):
    body = body_of(response)
    if not isinstance(body, dict) or not isinstance(body.get("detail"), list):
        return set()
    return {str(error.get("loc", ["", ""])[-1]) for error in body["detail"]}


@rule(
    "pydantic-1",
    hint="A valid user is still created: 201, with its new integer id and the fields it was given.",
)
def test_a_well_formed_user_is_created(learner_client):
    """a well-formed user is created and echoed back"""
    response, line = _post(learner_client, GOOD_USER)
    expect_status(response, 201, line)
    body = body_of(response)
    require(
        isinstance(body, dict) and isinstance(body.get("id"), int),
        f"{line} answered {show(response)}; the new user needs an integer `id`.",
    )
    echoed = {key: body.get(key) for key in GOOD_USER}
    require(
        echoed == GOOD_USER,
        f"{line} answered {show(response)}; expected the user's name, email and age back.",
    )


@rule(
    "security-1",
    hint=(
        "Declare the body as a BaseModel with required fields: FastAPI then answers 422 "
        "before your code runs."
    ),
)
def test_an_empty_body_is_rejected(learner_client):
    """an empty body is rejected with 422 before your code runs"""
    response, line = _post(learner_client, {})
    require(
        response.status_code == 422,
        f"{line} answered {show(response)}; expected 422. A user with no name and no e-mail "
        "went straight into your table: `dict` accepts anything.",
    )
    missing = {"name", "email"} - _rejected_fields(response)
    require(
        not missing,
        f"{line} answered {show(response)}; "
        f"the 422 should name the missing fields {sorted(missing)}.",
    )


@rule(
    "security-1",
    hint=(
        "Put the rules on the model's fields: `Field(min_length=1, max_length=100)`, "
        "`EmailStr`, `Field(ge=0, le=150)`."
    ),
)
def test_bad_fields_are_rejected(learner_client):
    """each malformed field is rejected with 422, and named"""
    cases = [
        ("name", {**GOOD_USER, "name": ""}, "an empty name"),
        ("name", {**GOOD_USER, "name": "x" * 101}, "a name of 101 characters (the limit is 100)"),
        ("email", {**GOOD_USER, "email": "not-an-email"}, "an e-mail without @"),
        ("age", {**GOOD_USER, "age": -1}, "a negative age"),
        ("age", {**GOOD_USER, "age": 151}, "an age above 150"),
        ("age", {**GOOD_USER, "age": "old"}, "an age that is not a number"),
    ]
    for field, payload, what in cases:
        response, line = _post(learner_client, payload)
        require(
            response.status_code == 422 and field in _rejected_fields(response),
            f"{line} ({what}) answered {show(response)}; expected 422 naming `{field}`.",
        )


@rule(
    "ready-2",
    hint="Annotate the body parameter with a BaseModel subclass, e.g. `data: UserCreate`.",
)
def test_the_request_body_is_a_model(learner_contract):
    """POST /users documents its body as a Pydantic model"""
    operation = operation_of(learner_contract, "POST", "/users")
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    require(schema is not None, "POST /users declares no request body at all.")
    require(
        is_model_schema(learner_contract, schema),
        f"POST /users documents its body as {json.dumps(schema)}, not as a Pydantic model: "
        "nothing checks which keys arrive or what they hold, and clients are told nothing.",
    )


@rule("pydantic-1", hint="Return a model: annotate the endpoint `-> UserOut`.")
def test_the_response_is_a_model(learner_contract):
    """both operations document their answer as a Pydantic model"""
    for method, path, status in (("POST", "/users", "201"), ("GET", "/users/{user_id}", "200")):
        schema = response_schema(learner_contract, method, path, status)
        require(
            bool(schema),
            f"{method} {path} declares no response model: its OpenAPI response schema is empty "
            "and nothing checks what leaves the API.",
        )
        require(
            is_model_schema(learner_contract, schema),
            f"{method} {path} documents its answer as {json.dumps(schema)}, which is not a "
            "Pydantic model: it names no fields and filters nothing.",
        )
