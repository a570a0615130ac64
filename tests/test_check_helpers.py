"""The helpers that hidden checks use to kill mutants of the references: requests at the edges
of declared limits, documentation compared by what is there, refusals compared by shape."""

from typing import Annotated

import httpx
from fastapi import FastAPI, HTTPException, Path, Query
from pydantic import BaseModel, Field

from autograder.engine.checkkit import CheckFailed
from autograder.engine.documented import documentation_gaps
from autograder.engine.edges import edge_requests
from autograder.engine.fresh_start import same_refusal


class Line(BaseModel):
    item: Annotated[str, Field(min_length=1, max_length=5)]


class Order(BaseModel):
    name: Annotated[str, Field(min_length=2, max_length=4, description="Who orders.")]
    count: Annotated[int, Field(ge=1, le=9)]
    lines: list[Line]
    note: str = ""


class PlainOrder(BaseModel):
    """The same order, its fields described nowhere."""

    name: Annotated[str, Field(min_length=2, max_length=4)]
    count: Annotated[int, Field(ge=1, le=9)]
    lines: list[Line]
    note: str = ""


class ErrorMessage(BaseModel):
    detail: str


def _reference_app() -> FastAPI:
    app = FastAPI(title="Orders")

    @app.post(
        "/orders/{shop}",
        summary="Place an order",
        response_description="The order as stored",
        responses={404: {"model": ErrorMessage, "description": "No such shop"}},
    )
    def place(
        shop: Annotated[int, Path(ge=1)],
        order: Order,
        q: Annotated[str, Query(max_length=3, description="A tag.")] = "",
    ) -> Order:
        raise HTTPException(404)

    return app


def _undocumented_app() -> FastAPI:
    app = FastAPI()

    @app.post("/orders/{shop}")
    def place(shop: int, order: PlainOrder, q: str = "") -> dict:
        return {}

    return app


def test_edges_are_just_inside_and_just_outside_each_declared_limit():
    contract = _reference_app().openapi()
    body = {"name": "Ada", "count": 3, "lines": [{"item": "pen"}], "note": "x"}
    requests = edge_requests(
        contract, "POST", "/orders/{shop}", body=body, params={"q": "ab"}, path_params={"shop": 2}
    )
    labels = {request.label for request in requests}
    assert "body field name of 1 characters (minLength 2)" in labels
    assert "body field name of 5 characters (maxLength 4)" in labels
    assert "body field count of 10 (maximum 9)" in labels
    assert "body field count of 0 (minimum 1)" in labels
    assert "body field lines[0].item of 6 characters (maxLength 5)" in labels
    assert "query q of 4 characters (maxLength 3)" in labels
    assert "path shop of 0 (minimum 1)" in labels
    # An unlimited field makes no edge; each request changes one value of the valid body.
    assert not any("note" in label for label in labels)
    by_label = {request.label: request for request in requests}
    too_long = by_label["body field name of 5 characters (maxLength 4)"]
    assert too_long.kwargs["json"] == {**body, "name": "AdaAd"}
    assert too_long.url == "/orders/2"
    assert by_label["path shop of 0 (minimum 1)"].url == "/orders/0"


def test_documentation_gaps_name_what_is_missing_and_accept_other_words():
    reference = _reference_app().openapi()
    assert documentation_gaps(reference, reference) == []
    gaps = "\n".join(documentation_gaps(_undocumented_app().openapi(), reference))
    assert "default title" in gaps
    assert "does not document the status 404" in gaps
    assert "summary is the one FastAPI makes" in gaps
    assert "parameter 'q' has no description" in gaps
    assert "body field 'name' has no description" in gaps

    reworded = _reference_app()
    reworded.title = "Another title"
    document = reworded.openapi()
    operation = document["paths"]["/orders/{shop}"]["post"]
    operation["summary"] = "Order something"
    operation["responses"]["404"]["description"] = "That shop is not ours"
    assert documentation_gaps(document, reference) == []


def test_documented_error_bodies_must_keep_the_reference_properties():
    reference = _reference_app().openapi()
    emptied = _reference_app().openapi()
    emptied["components"]["schemas"]["ErrorMessage"]["properties"] = {}
    gaps = documentation_gaps(emptied, reference)
    assert any("404 body has no ['detail']" in gap for gap in gaps), gaps


def _response(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, json=body)


def test_refusals_compare_status_and_shape_not_words():
    same_refusal(_response(404, {"detail": "gone"}), _response(404, {"detail": "not here"}), "x")
    for mine in (_response(400, {"detail": "gone"}), _response(404, {"error": "gone"})):
        try:
            same_refusal(mine, _response(404, {"detail": "not here"}), "GET /x")
        except CheckFailed as failure:
            assert "GET /x" in str(failure)
        else:
            raise AssertionError(f"{mine} was taken for the reference's refusal")
