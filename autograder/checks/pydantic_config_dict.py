import json
from datetime import datetime

from autograder.engine.checkkit import body_of, brief, expect_status, require, rule, show

GOOD = {"username": "ada", "email": "ada@example.org"}


def call(client, method, url, **kwargs):
    """Send a request; return the response and a line that names it for messages."""
    line = f"{method} {url}" + (f" with {brief(kwargs['json'])}" if "json" in kwargs else "")
    return client.request(method, url, **kwargs), line


@rule(
    "pydantic-7",
    hint=(
        "The row is an object, not a dict: a model reads attributes only with "
        "`ConfigDict(from_attributes=True)`."
    ),
)
def test_a_user_is_created_from_its_row(learner_client):
    """POST /users answers 201 with the user read from its row"""
    response, line = call(learner_client, "POST", "/users", json=GOOD)
    expect_status(response, 201, line)
    body = body_of(response)
    require(
        isinstance(body, dict)
        and {k: body.get(k) for k in GOOD} == GOOD
        and isinstance(body.get("id"), int),
        f"{line} answered {show(response)}; expected the new user with its id.",
    )
    created = datetime.fromisoformat(body.get("created_at", "").replace("Z", "+00:00"))
    require(
        created.tzinfo is not None,
        f"{line} answered created_at {body['created_at']!r}, without a time zone.",
    )
    response, line = call(learner_client, "GET", f"/users/{body['id']}")
    expect_status(response, 200, line)
    require(
        body_of(response) == body, f"{line} answered {show(response)}; expected {json.dumps(body)}."
    )


@rule(
    "pydantic-7",
    hint="The Pydantic 2 name is str_strip_whitespace, set in model_config = ConfigDict(...).",
)
def test_surrounding_spaces_are_stripped(learner_client):
    """spaces around the username are stripped before it is checked"""
    payload = {"username": "  grace  ", "email": "grace@example.org"}
    response, line = call(learner_client, "POST", "/users", json=payload)
    expect_status(response, 201, line)
    username = body_of(response).get("username")
    require(
        username == "grace",
        f"{line} stored the username {username!r}; expected 'grace'. Pydantic 2 silently ignores "
        "config keys it does not know, such as anystr_strip_whitespace.",
    )
    response, line = call(
        learner_client, "POST", "/users", json={"username": "  al  ", "email": "al@example.org"}
    )
    require(
        response.status_code == 422,
        f"{line} answered {show(response)}; "
        "expected 422: once stripped, 'al' is shorter than 3 characters.",
    )


@rule(
    "pydantic-7",
    hint=(
        '`model_config = ConfigDict(extra="forbid")` on the request model refuses fields '
        "it does not declare."
    ),
)
def test_unknown_fields_are_refused(learner_client):
    """a body with fields the model does not declare is refused"""
    response, line = call(learner_client, "POST", "/users", json={**GOOD, "is_admin": True})
    require(
        response.status_code == 422,
        f"{line} answered {show(response)}; "
        'expected 422: extra="forbid" refuses undeclared fields.',
    )
