import typing

from pydantic import BaseModel

from autograder.engine.checkkit import body_of, expect_status, operation, require, rule, show

PUBLIC_FIELDS = {"id", "name", "email"}


def _leaked(user):
    return sorted(set(user) - PUBLIC_FIELDS) if isinstance(user, dict) else []


@rule("pydantic-2")
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


@rule("pydantic-2")
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


@rule("pydantic-2")
def test_unknown_users_are_404(learner_client):
    """an unknown user is still a 404"""
    expect_status(learner_client.get("/users/999"), 404, "GET /users/999")


def _model_of(method, path, declared):
    """The BaseModel a declared response model is made of (the item model of a list)."""
    require(
        declared is not None,
        f"{method} {path} declares no response model: its OpenAPI response schema is empty, "
        "so clients cannot know what they get, and nothing filters what you return.",
    )
    model = declared
    if typing.get_origin(declared) is list:
        (model,) = typing.get_args(declared)
    require(
        isinstance(model, type) and issubclass(model, BaseModel),
        f"{method} {path} declares `{_spelled(declared)}` as its response "
        "model, which is not a Pydantic model: it documents no fields and filters none.",
    )
    return model


@rule(
    "mandate-4",
    hint=(
        "Annotate `-> UserPublic` and `-> list[UserPublic]`, "
        "with UserPublic holding id, name and email only."
    ),
)
def test_both_operations_declare_a_public_model(learner_app):
    """both operations declare a response model with the public fields only"""
    for method, path in (("GET", "/users"), ("GET", "/users/{user_id}")):
        route = operation(learner_app, method, path)
        model = _model_of(method, path, route.response_model)
        fields = set(model.model_fields)
        require(
            fields == PUBLIC_FIELDS,
            f"{method} {path} declares `{model.__name__}` with the fields {sorted(fields)}; "
            f"the public contract is {sorted(PUBLIC_FIELDS)}.",
        )
    list_model = operation(learner_app, "GET", "/users").response_model
    require(
        typing.get_origin(list_model) is list,
        f"GET /users declares `{list_model}`; "
        "it returns a list, so declare `list[...]` of the public model.",
    )


def _spelled(annotation):
    if typing.get_args(annotation):
        return repr(annotation).replace("typing.", "")
    return getattr(annotation, "__name__", repr(annotation))
