import json

from autograder.engine.checkkit import (
    body_of,
    brief,
    expect_status,
    operation_of,
    require,
    rule,
    show,
)

# The contract, as the OpenAPI document must state it.
DOCUMENTED_PARAMETERS = [
    ("get", "/books/search", "q", {"minLength": 3, "maxLength": 50}),
    ("get", "/books/search", "limit", {"minimum": 1, "maximum": 100, "default": 10}),
    ("get", "/books/{book_id}", "book_id", {"minimum": 1}),
    ("post", "/books/{book_id}/reviews", "book_id", {"minimum": 1}),
]
DOCUMENTED_REVIEW_FIELDS = {"rating": {"minimum": 1, "maximum": 5}, "comment": {"maxLength": 500}}


def _rejects(client, method, url, where, what, **kwargs):
    line = f"{method} {url}" + (f" with {brief(kwargs['json'])}" if "json" in kwargs else "")
    response = client.request(method, url, **kwargs)
    body = body_of(response)
    locations = (
        [tuple(e.get("loc", ())) for e in body.get("detail", [])]
        if isinstance(body, dict) and isinstance(body.get("detail"), list)
        else []
    )
    require(
        response.status_code == 422 and where in locations,
        f"{line} ({what}) answered {show(response)}; expected 422 with an error at {list(where)}.",
    )


@rule(
    "pydantic-4",
    hint=(
        "Bounds must reject bad input only: a 3-letter query, limit 1 and book 1 still "
        "answer as before."
    ),
)
def test_a_sensible_search_still_works(learner_client):
    """a sensible search and a known book still answer 200"""
    response = learner_client.get("/books/search?q=le guin&limit=1")
    expect_status(response, 200, "GET /books/search?q=le guin&limit=1")
    titles = [book.get("title") for book in body_of(response)]
    require(
        titles == ["The Left Hand of Darkness"],
        f"GET /books/search?q=le guin&limit=1 answered {show(response)}.",
    )
    expect_status(learner_client.get("/books/1"), 200, "GET /books/1")
    review = {"rating": 5, "comment": "Spice!"}
    expect_status(
        learner_client.post("/books/1/reviews", json=review),
        201,
        f"POST /books/1/reviews with {brief(review)}",
    )


@rule(
    "security-7",
    hint=(
        "Declare the bounds on the parameters: `Annotated[str, Query(min_length=3, "
        "max_length=50)]`, `Annotated[int, Query(ge=1, le=100)] = 10`."
    ),
)
def test_query_bounds_are_enforced(learner_client):
    """search text is 3 to 50 characters, limit 1 to 100"""
    _rejects(
        learner_client,
        "GET",
        "/books/search?q=a",
        ("query", "q"),
        "a one-letter query matches nearly every book",
    )
    _rejects(
        learner_client, "GET", f"/books/search?q={'x' * 51}", ("query", "q"), "a 51-character query"
    )
    _rejects(
        learner_client,
        "GET",
        "/books/search?q=the&limit=1000",
        ("query", "limit"),
        "a limit of 1000",
    )
    _rejects(
        learner_client, "GET", "/books/search?q=the&limit=0", ("query", "limit"), "a limit of 0"
    )
    _rejects(
        learner_client,
        "GET",
        "/books/search?q=the&limit=-1",
        ("query", "limit"),
        "a negative limit",
    )


@rule(
    "security-7",
    hint=(
        "Path ids use `Path(ge=1)`; the review model's fields carry `Field(ge=1, le=5)` "
        "and `Field(max_length=500)`."
    ),
)
def test_path_and_body_bounds_are_enforced(learner_client):
    """book ids start at 1; ratings are 1 to 5; comments at most 500 characters"""
    _rejects(learner_client, "GET", "/books/0", ("path", "book_id"), "book ids start at 1")
    _rejects(
        learner_client,
        "POST",
        "/books/-4/reviews",
        ("path", "book_id"),
        "a negative book id",
        json={"rating": 3},
    )
    _rejects(
        learner_client,
        "POST",
        "/books/1/reviews",
        ("body", "rating"),
        "a rating of 6",
        json={"rating": 6},
    )
    _rejects(
        learner_client,
        "POST",
        "/books/1/reviews",
        ("body", "rating"),
        "a rating of 0",
        json={"rating": 0},
    )
    _rejects(
        learner_client,
        "POST",
        "/books/1/reviews",
        ("body", "comment"),
        "a 501-character comment",
        json={"rating": 3, "comment": "x" * 501},
    )


def _parameter_schema(spec, method, path, name):
    for parameter in operation_of(spec, method, path).get("parameters", []):
        if parameter["name"] == name:
            return parameter.get("schema", {})
    return {}


@rule(
    "pydantic-4",
    hint=(
        "`Annotated[str, Query(min_length=3, max_length=50)]`: "
        "the rule FastAPI checks is the rule OpenAPI shows."
    ),
)
def test_the_bounds_are_documented(learner_contract):
    """the OpenAPI document states every bound"""
    spec = learner_contract
    problems = []
    for method, path, name, wanted in DOCUMENTED_PARAMETERS:
        schema = _parameter_schema(spec, method, path, name)
        if any(schema.get(key) != value for key, value in wanted.items()):
            shown = {
                key: schema[key]
                for key in ("type", "minLength", "maxLength", "minimum", "maximum", "default")
                if key in schema
            }
            problems.append(
                f"{method.upper()} {path}: parameter `{name}` is documented as "
                f"{json.dumps(shown)}; expected {json.dumps(wanted)}."
            )
    body = operation_of(spec, "post", "/books/{book_id}/reviews").get("requestBody", {})
    ref = body.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
    review = spec.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
    for field, wanted in DOCUMENTED_REVIEW_FIELDS.items():
        schema = review.get("properties", {}).get(field, {})
        if any(schema.get(key) != value for key, value in wanted.items()):
            problems.append(
                f"the review body's field `{field}` is documented as {json.dumps(schema)}; "
                f"expected {json.dumps(wanted)}."
            )
    if problems:
        problems.append(
            "A rule checked inside the function body is invisible to clients and to /docs."
        )
    require(not problems, "\n".join(problems))
