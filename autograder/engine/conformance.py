"""Does the app keep the contract it publishes? schemathesis, from outside, over HTTP.

schemathesis generates requests from an OpenAPI document and checks every answer against it:
a status code the document does not declare, a body that does not match its schema, a missing
header, a server error. It is the tool made for this, so checks ask it rather than re-implement
response validation. Requests go through the checks' own client (to the answer's socket), so
schemathesis never needs the app in its process.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from pydantic import BaseModel, Field
from schemathesis import openapi
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Err

from autograder.engine.checkkit import counted, fail
from autograder.engine.openapi_document import UnsafeDocument, offline_document

# The checks that read one answer. Checks that send more requests (ignored_auth, use_after_free,
# negative_data_rejection) are left out: they would reach beyond the operation under test.
RESPONSE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# An answer's document is read before it is trusted with generation: a bound on its size keeps a
# hostile or runaway document from turning the check into a long wait.
MAX_DOCUMENT_BYTES = 256_000
BASE_URL = "http://answer"
DETAIL_CHARACTERS = 240
SENT_KEYS = ("method", "url", "headers", "params", "json", "content")


@dataclass(frozen=True)
class Finding:
    """One way an operation broke its published contract, with the request that showed it."""

    operation: str  # "DELETE /notes/{note_id}"
    title: str  # "Undocumented status code"
    request: str  # "DELETE /notes/3"
    detail: str  # schemathesis' own explanation

    def describe(self) -> str:
        # schemathesis writes "Received: 204\nDocumented: 200, 404": one line each, kept apart.
        lines = (" ".join(line.split()) for line in self.detail.splitlines())
        detail = "; ".join(line for line in lines if line)
        if detail and detail[-1] not in ".!?…":
            detail += "."
        if len(detail) > DETAIL_CHARACTERS:
            detail = detail[: DETAIL_CHARACTERS - 1] + "…"
        return f"{self.operation}: {self.title} ({self.request}). {detail}"


def contract_findings(
    client: Any,
    contract: dict[str, Any],
    *,
    operations: Iterable[str] | None = None,
    max_examples: int = 12,
) -> list[Finding]:
    """Send generated requests to ``client``'s app and list each distinct contract violation.

    ``operations`` limits the run to these labels ("POST /notes"): the checks name what the
    exercise is about, so an answer's extra routes neither widen nor slow the run.
    """
    if len(json.dumps(contract)) > MAX_DOCUMENT_BYTES:
        fail(
            f"The OpenAPI document is over {MAX_DOCUMENT_BYTES // 1000} KB; the exercise's app "
            "publishes a few operations. Did something generate routes in a loop?"
        )
    try:
        # Before schemathesis sees it: its loader would follow references out of the document.
        document = offline_document(contract)
    except UnsafeDocument as refused:
        fail(str(refused))
    # An explicit configuration: from_dict would otherwise look for a schemathesis.toml in the
    # working directory and its parents, and let it change how the checks run.
    schema = openapi.from_dict(document, config=SchemathesisConfig())
    wanted = set(operations) if operations is not None else None
    findings: dict[tuple[str, str], Finding] = {}
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            fail(
                "schemathesis could not read an operation of the OpenAPI document "
                f"({_one_line(result.err())}). Let FastAPI write the document from the routes."
            )
        operation = result.ok()
        if wanted is not None and operation.label not in wanted:
            continue
        _explore(client, operation, findings, max_examples)
    return list(findings.values())


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= DETAIL_CHARACTERS else text[: DETAIL_CHARACTERS - 1] + "…"


def _explore(client: Any, operation: Any, findings: dict, max_examples: int) -> None:
    # Reproducible (derandomize, no database), quick, and without shrinking: one example of each
    # kind of violation is what a learner needs.
    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def send(case: Any) -> None:
        sent = case.as_transport_kwargs(base_url=BASE_URL)
        request = {key: value for key, value in sent.items() if key in SENT_KEYS}
        # Only the headers the operation takes, and the body's type: schemathesis adds its own
        # User-Agent, Accept-Encoding and a test-case id, by which an answer could tell the
        # checks' requests apart; the checks' client sends its per-run rotation instead.
        own = {name.lower() for name in (case.headers or {})} | {"content-type"}
        headers = {k: v for k, v in (request.get("headers") or {}).items() if k.lower() in own}
        request["headers"] = headers
        if sent.get("cookies"):
            # As a header: httpx deprecates cookies given per request.
            cookie = "; ".join(f"{name}={value}" for name, value in sent["cookies"].items())
            request["headers"] = {**(request.get("headers") or {}), "Cookie": cookie}
        request["url"] = request["url"].removeprefix(BASE_URL)
        response = client.request(request.pop("method"), request.pop("url"), **request)
        try:
            case.validate_response(response, checks=RESPONSE_CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                _note(findings, operation.label, failure, response)
        except Failure as failure:
            _note(findings, operation.label, failure, response)

    send()


def _note(findings: dict, label: str, failure: Failure, response: Any) -> None:
    request = response.request
    sent = f"{request.method} {request.url.raw_path.decode('ascii', 'replace')}"
    if response.status_code >= 500:
        # One finding says it: "undocumented status code 500" repeats "server error".
        key = (label, "server error")
        finding = Finding(label, "Server error", sent, f"It answered {response.status_code}.")
    else:
        key = (label, type(failure).__name__)
        finding = Finding(label, failure.title, sent, failure.message)
    findings.setdefault(key, finding)


def expect_conformance(
    client: Any,
    contract: dict[str, Any],
    *,
    operations: Iterable[str] | None = None,
    max_examples: int = 12,
) -> None:
    """Fail listing every distinct violation schemathesis finds, one line each."""
    findings = contract_findings(client, contract, operations=operations, max_examples=max_examples)
    if findings:
        lines = "\n".join(f"- {finding.describe()}" for finding in findings)
        fail(
            "schemathesis sent generated requests and found "
            f"{counted(len(findings), 'way')} the app "
            f"breaks its own OpenAPI document:\n{lines}"
        )


class _WarmUpItem(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    stock: int | None = Field(default=None, ge=0)


async def _read_item(item_id: int, q: str | None = None) -> _WarmUpItem:  # pragma: no cover
    raise NotImplementedError  # never called: the stub answers instead


async def _replace_item(item_id: int, item: _WarmUpItem) -> _WarmUpItem:  # pragma: no cover
    raise NotImplementedError


class _StubAnswers:
    """Answers every request 200 with one fixed body, without a network: for ``warm_up``."""

    def request(self, method: str, url: str, **_: Any) -> httpx.Response:
        response = httpx.Response(
            200, json={"name": "tea", "stock": 1}, request=httpx.Request(method, BASE_URL + url)
        )
        response.elapsed = timedelta(0)  # read by schemathesis; set by a transport otherwise
        return response


def warm_up() -> None:
    """Pay schemathesis' and hypothesis' first-use costs (strategies, schema validators, about
    0.3 s) before a learner's first contract check, as the notebook's warm-up does: one short
    exploration of a small FastAPI-made document, answered by a stub; its findings are dropped."""
    app = FastAPI()
    app.get("/items/{item_id}", responses={404: {"description": "No such item"}})(_read_item)
    app.put("/items/{item_id}")(_replace_item)
    contract_findings(_StubAnswers(), app.openapi(), max_examples=3)
