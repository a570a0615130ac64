import httpx

from autograder.engine.checkkit import (
    body_of,
    expect_status,
    operation_of,
    require,
    rule,
    show,
)
from autograder.engine.conformance import expect_conformance

NOTE = {"title": "Groceries", "body": "eggs, flour, milk"}


def location_of(response: httpx.Response) -> str:
    """The path a create's Location header points to (absolute URLs are reduced to it)."""
    location = response.headers.get("location", "")
    require(
        location,
        f"POST /notes answered {show(response)} with no Location header: the client cannot "
        "tell where the new note lives without building the URL itself.",
    )
    return httpx.URL(location).path


@rule(
    "api-1",
    hint=(
        "A create answers 201 Created: `status_code=status.HTTP_201_CREATED` on the decorator, "
        "and a `Location` header naming the new note's URL."
    ),
)
def test_a_create_answers_201_with_a_location_to_follow(learner_client):
    """POST /notes answers 201 Created, and its Location header leads to the new note"""
    response = learner_client.post("/notes", json=NOTE)
    expect_status(response, 201, "POST /notes")
    path = location_of(response)
    followed = learner_client.get(path)
    require(
        followed.status_code == 200 and body_of(followed) == body_of(response),
        f"POST /notes answered {show(response)} with Location: {path}; GET {path} answered "
        f"{show(followed)}. Location must lead to the note just created.",
    )


@rule(
    "api-1",
    hint=(
        "A delete answers 204 No Content, with no body at all: declare "
        "`status_code=status.HTTP_204_NO_CONTENT` and return None (`-> None`)."
    ),
)
def test_a_delete_answers_204_with_no_body(learner_client):
    """DELETE answers 204 No Content with an empty body; the note is gone afterwards"""
    created = learner_client.post("/notes", json=NOTE)
    require(created.status_code in (200, 201), f"POST /notes answered {show(created)}.")
    note = body_of(created)
    require(isinstance(note, dict) and "id" in note, f"POST /notes answered {show(created)}.")
    path = f"/notes/{note['id']}"
    deleted = learner_client.delete(path)
    expect_status(deleted, 204, f"DELETE {path}")
    require(
        deleted.content == b"",
        f"DELETE {path} answered 204 with a body ({deleted.content[:80]!r}): 204 means "
        "no content, and clients may not read one.",
    )
    expect_status(learner_client.get(path), 404, f"GET {path} after deleting it")
    expect_status(learner_client.delete(path), 404, f"DELETE {path} a second time")


def _documented(contract, method, path):
    return sorted(operation_of(contract, method, path).get("responses", {}))


@rule(
    "api-1",
    hint=(
        "The document lists the status the decorator declares. A `Response(status_code=204)` "
        "built in the body is sent, but /docs still promises 200: put the code on the decorator."
    ),
)
def test_the_contract_declares_201_and_204(learner_contract):
    """the OpenAPI document promises 201 for the create and 204 for the delete"""
    for method, path, code in (("POST", "/notes", "201"), ("DELETE", "/notes/{note_id}", "204")):
        documented = _documented(learner_contract, method, path)
        require(
            code in documented and "200" not in documented,
            f"{method} {path} documents the status codes {documented}; a "
            f"{'create' if method == 'POST' else 'delete'} answers {code}, so the document must "
            f"promise {code} (and not 200).",
        )
    no_content = operation_of(learner_contract, "DELETE", "/notes/{note_id}")["responses"]["204"]
    require(
        not no_content.get("content"),
        "DELETE /notes/{note_id} documents a body for its 204 response; a 204 has none.",
    )


@rule(
    "api-1",
    hint=(
        "schemathesis compares every answer with the document: put each status code on the "
        "decorator, where FastAPI both sends and documents it."
    ),
)
def test_the_app_keeps_its_own_contract(learner_client, learner_contract):
    """schemathesis finds no answer the OpenAPI document does not declare"""
    expect_conformance(
        learner_client,
        learner_contract,
        operations=["POST /notes", "GET /notes/{note_id}", "DELETE /notes/{note_id}"],
    )
