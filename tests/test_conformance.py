"""schemathesis, as the contract checks use it, against the installed FastAPI."""

from typing import Annotated

import pytest
from fastapi import FastAPI, HTTPException, Path, Response, status
from pydantic import BaseModel

from autograder.engine.checkkit import CheckFailed
from autograder.engine.conformance import MAX_DOCUMENT_BYTES, expect_conformance
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
