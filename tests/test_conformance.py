"""schemathesis, as the contract checks use it, against the installed FastAPI."""

from __future__ import annotations

import copy
import http.server
import json
import pathlib
import threading
from collections.abc import Iterator
from typing import Annotated

import pytest
from fastapi import FastAPI, HTTPException, Path, Response, status
from fastapi.testclient import TestClient
from pydantic import BaseModel

from autograder.engine import conformance
from autograder.engine.checkkit import CheckFailed
from autograder.engine.conformance import MAX_DOCUMENT_BYTES, Finding, expect_conformance
from autograder.engine.openapi_document import UnsafeDocument, offline_document
from workbook.contracts import contract_findings, outline


class Item(BaseModel):
    id: int


class ErrorMessage(BaseModel):
    detail: str


def items_app(*, documented: bool) -> FastAPI:
    app = FastAPI()
    missing = {404: {"model": ErrorMessage}} if documented else {}

    @app.get("/items/{item_id}", responses=missing)
    async def read_item(item_id: Annotated[int, Path(ge=1)]) -> Item:
        if item_id != 1:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "No such item")
        return Item(id=1)

    if documented:

        @app.delete("/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT, responses=missing)
        async def delete_item(item_id: Annotated[int, Path(ge=1)]) -> None:
            if item_id != 1:
                raise HTTPException(status.HTTP_404_NOT_FOUND, "No such item")

    else:

        @app.delete("/items/{item_id}")
        async def delete_item_by_hand(item_id: Annotated[int, Path(ge=1)]) -> Response:
            if item_id != 1:
                raise RuntimeError("lookup failed")
            return Response(status_code=status.HTTP_204_NO_CONTENT)

    return app


def test_undeclared_statuses_and_server_errors_are_found():
    findings = {(f.operation, f.title) for f in contract_findings(items_app(documented=False))}
    assert findings == {
        ("GET /items/{item_id}", "Undocumented status code"),
        ("DELETE /items/{item_id}", "Undocumented status code"),
        ("DELETE /items/{item_id}", "Server error"),
    }


def test_an_app_that_keeps_its_contract_has_no_findings():
    assert contract_findings(items_app(documented=True)) == []


def test_the_warm_up_explores_and_leaves_later_verdicts_as_they_were(monkeypatch):
    asked: list[str] = []
    answer = conformance._StubAnswers.request
    monkeypatch.setattr(
        conformance._StubAnswers,
        "request",
        lambda self, method, url, **sent: (
            asked.append(f"{method} {url}") or answer(self, method, url)
        ),
    )
    before = contract_findings(items_app(documented=False))
    conformance.warm_up()
    assert any(request.startswith("PUT /items/") for request in asked)
    assert contract_findings(items_app(documented=False)) == before
    assert contract_findings(items_app(documented=True)) == []


def test_a_finding_names_the_request_that_showed_it():
    finding = next(
        f for f in contract_findings(items_app(documented=False)) if f.title == "Server error"
    )
    assert finding.request.startswith("DELETE /items/")
    assert "It answered 500" in finding.describe()


def test_a_runaway_document_is_refused_before_generation():
    contract = {"openapi": "3.1.0", "info": {}, "paths": {}, "padding": "x" * MAX_DOCUMENT_BYTES}
    with pytest.raises(CheckFailed, match="OpenAPI document is over"):
        expect_conformance(object(), contract)


def test_the_outline_lists_what_a_client_is_promised():
    lines = outline(items_app(documented=True))
    assert "DELETE /items/{item_id}: Delete Item" in lines
    assert "    204 Successful Response, no body" in lines


# --- an answer's document is read offline --------------------------------------------------------


class Canary:
    """A loopback HTTP service that records every request: the checks must never reach it."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.requests.append(self.path)
                body = json.dumps({"type": "string", "enum": ["CANARY-SERVICE"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canary() -> Iterator[Canary]:
    service = Canary()
    yield service
    service.close()


@pytest.fixture
def course_file(tmp_path, monkeypatch) -> pathlib.Path:
    """A grader's file in the working directory, as the course is for nbgrader."""
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"type": "string", "enum": ["CANARY-FILE"]}))
    monkeypatch.chdir(tmp_path)
    return secret


class Name(BaseModel):
    name: str


def echo_app(seen: list[str]) -> FastAPI:
    app = FastAPI()

    @app.post("/names")
    async def echo(body: Name) -> Name:
        seen.append(body.name)
        return body

    return app


def planted(app: FastAPI, plant) -> dict:
    document = copy.deepcopy(app.openapi())
    plant(document)
    return document


def name_schema(document: dict) -> dict:
    return document["components"]["schemas"]["Name"]["properties"]["name"]


def request_body(document: dict) -> dict:
    return document["paths"]["/names"]["post"]["requestBody"]["content"]["application/json"]


def refused(plant, match: str) -> list[str]:
    """Plant ``plant`` in the echo app's document and expect a refusal; what the app saw."""
    seen: list[str] = []
    app = echo_app(seen)
    with TestClient(app) as client, pytest.raises(CheckFailed, match=match) as failed:
        expect_conformance(client, planted(app, plant))
    assert "FastAPI never writes" in str(failed.value)
    return seen


def test_a_reference_relative_to_the_working_directory_is_refused_unread(course_file):
    seen = refused(lambda d: name_schema(d).update({"$ref": "secret.json"}), "`secret.json`")
    assert not any("CANARY" in value for value in seen)


def test_a_file_url_reference_is_refused_unread(course_file):
    url = course_file.as_uri()
    seen = refused(lambda d: name_schema(d).update({"$ref": url}), "outside itself")
    assert not any("CANARY" in value for value in seen)


def test_an_http_reference_to_a_loopback_service_is_refused_unfetched(canary):
    plant = lambda d: name_schema(d).update({"$ref": f"{canary.url}/schema.json"})  # noqa: E731
    seen = refused(plant, "outside itself")
    assert canary.requests == []
    assert not any("CANARY" in value for value in seen)


@pytest.mark.parametrize(
    "where",
    [
        lambda d, url: d["paths"].update({"/more": {"$ref": url}}),
        lambda d, url: d["paths"]["/names"]["post"].update({"parameters": [{"$ref": url}]}),
        lambda d, url: d["paths"]["/names"]["post"].update({"requestBody": {"$ref": url}}),
        lambda d, url: name_schema(d).update({"$dynamicRef": url}),
        lambda d, url: d["paths"]["/names"]["post"]["responses"]["200"].update(
            {"links": {"again": {"operationRef": f"{url}#/paths/~1names/post"}}}
        ),
    ],
    ids=["path item", "parameter", "request body", "$dynamicRef", "link operationRef"],
)
def test_a_remote_reference_anywhere_is_refused_unfetched(canary, where):
    refused(lambda d: where(d, f"{canary.url}/part.json"), "outside itself")
    assert canary.requests == []


def test_a_document_that_renames_its_base_is_refused(canary):
    def plant(document: dict) -> None:
        document["components"]["schemas"]["Name"]["$id"] = f"{canary.url}/names/"

    seen: list[str] = []
    app = echo_app(seen)
    with TestClient(app) as client, pytest.raises(CheckFailed, match=r"\$id"):
        expect_conformance(client, planted(app, plant))
    assert canary.requests == []


def test_an_external_example_is_ignored_and_never_fetched(canary):
    def plant(document: dict) -> None:
        request_body(document)["examples"] = {
            "remote": {"summary": "fetched", "externalValue": f"{canary.url}/example.json"}
        }

    seen: list[str] = []
    app = echo_app(seen)
    document = planted(app, plant)
    with TestClient(app) as client:
        expect_conformance(client, document)  # the app keeps its contract: no finding
    assert canary.requests == []
    assert offline_document(document)["paths"]["/names"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"] == {"remote": {}}


def test_an_external_example_beside_a_value_keeps_the_value():
    document = {"examples": {"both": {"value": {"name": "Ada"}, "externalValue": "http://x/"}}}
    assert offline_document(document) == {"examples": {"both": {"value": {"name": "Ada"}}}}


@pytest.mark.parametrize(
    "schemas",
    [
        {"Name": {"$ref": "#/components/schemas/Name"}},
        {
            "Name": {"$ref": "#/components/schemas/B"},
            "B": {"allOf": [{"$ref": "#/components/schemas/Name"}]},
        },
        {
            "Name": {
                "type": "object",
                "required": ["next"],
                "properties": {"next": {"$ref": "#/components/schemas/Name"}},
            }
        },
        {
            "Name": {
                "type": "object",
                "required": ["next"],
                "properties": {
                    "next": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"$ref": "#/components/schemas/Name"},
                    }
                },
            }
        },
    ],
    ids=["alias of itself", "cycle through allOf", "required field", "non-empty list"],
)
def test_a_schema_that_must_contain_itself_is_refused_before_generation(schemas):
    seen: list[str] = []
    app = echo_app(seen)
    with TestClient(app) as client, pytest.raises(CheckFailed, match="must contain itself"):
        expect_conformance(
            client, planted(app, lambda d: d["components"]["schemas"].update(schemas))
        )
    assert seen == []


def test_a_reference_to_nothing_in_the_document_is_refused():
    with pytest.raises(UnsafeDocument, match="which it does not hold"):
        offline_document({"paths": {"/a": {"$ref": "#/components/pathItems/missing"}}})


def test_a_runaway_nesting_is_refused():
    document: dict = {}
    inner = document
    for _ in range(200):
        inner["items"] = {}
        inner = inner["items"]
    with pytest.raises(UnsafeDocument, match="nests deeper"):
        offline_document(document)


class Tree(BaseModel):
    label: str
    children: list[Tree] = []
    parent: Tree | None = None


def test_fastapi_documents_pass_unchanged_and_keep_their_findings():
    tree_app = FastAPI()

    @tree_app.post("/trees")
    async def plant_tree(tree: Tree) -> Tree:
        return tree

    for app in (items_app(documented=True), items_app(documented=False), tree_app):
        document = app.openapi()
        served = copy.deepcopy(document)
        assert offline_document(document) == served
        contract_findings(app)
        assert document == served, "the checks changed the document they were given"
    assert contract_findings(tree_app) == []
    assert len(contract_findings(items_app(documented=False))) == 3


def test_a_findings_lines_stay_apart_in_its_sentence():
    finding = Finding(
        "DELETE /notes/{note_id}",
        "Undocumented status code",
        "DELETE /notes/3",
        "Received: 204\nDocumented: 200, 404, 422",
    )
    assert finding.describe() == (
        "DELETE /notes/{note_id}: Undocumented status code (DELETE /notes/3). "
        "Received: 204; Documented: 200, 404, 422."
    )
