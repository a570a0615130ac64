"""Requests at the edges of the limits the reference declares, sent to both apps.

Generated examples rarely land on a limit exactly: a request model whose ``max_length=128``
became 129, or whose ``max_length`` went missing, answers every random example as the
reference does. Here the reference's own OpenAPI document says where its limits are
(``minLength``/``maxLength``, ``minimum``/``maximum`` and their exclusive forms,
``minItems``/``maxItems``), and each field of a valid request is set, one at a time, just
inside and just outside each limit. The learner's app must accept what the reference accepts
and refuse what it refuses: a limit is part of the exercise's contract.

A 422 located more precisely is the same refusal; what an accepted request answers depends
on the apps' state, and is compared only where the caller says it is the same on both sides.
Hypothesis has no "edges of this JSON schema" strategy (hypothesis-jsonschema draws at random
too), which is why the few values are listed here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from autograder.engine.checkkit import fail, resolve, same_answer, show

FILLER = "abcdefghij"


@dataclass(frozen=True)
class EdgeRequest:
    label: str  # "password of 129 characters (maxLength 128)"
    url: str
    kwargs: dict[str, Any]  # for client.request(method, url, **kwargs)


def _plain(contract: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema of a field, its ``$ref`` followed and an optional's ``null`` branch set aside."""
    schema = resolve(contract, schema)
    branches = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(branches) == 1:
        return resolve(contract, branches[0])
    return schema


def _text_of_length(example: Any, length: int) -> str:
    seed = example if isinstance(example, str) and example else FILLER
    return (seed * (length // len(seed) + 1))[:length]


def edge_values(schema: dict[str, Any], example: Any) -> Iterator[tuple[Any, str]]:
    """(value, why) pairs just inside and just outside each declared limit of ``schema``."""
    kind = schema.get("type")
    if kind == "string" and "pattern" not in schema and "format" not in schema:
        for key, inside, outside in (("minLength", 0, -1), ("maxLength", 0, 1)):
            if key in schema:
                limit = int(schema[key])
                for length in {limit + inside, limit + outside}:
                    if length >= 0:
                        yield (
                            _text_of_length(example, length),
                            f"{length} characters ({key} {limit})",
                        )
    elif kind in ("integer", "number"):
        step = 1 if kind == "integer" else 0.5
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if key in schema:
                limit = schema[key]
                if kind == "integer" and float(limit).is_integer():
                    limit = int(limit)  # documents may write an integer's bound as 1.0
                for value in (limit - step, limit, limit + step):
                    yield value, f"{value} ({key} {limit})"
    elif kind == "array" and isinstance(example, list) and example:
        for key, inside, outside in (("minItems", 0, -1), ("maxItems", 0, 1)):
            if key in schema:
                limit = int(schema[key])
                for count in {limit + inside, limit + outside}:
                    if count >= 0:
                        items = [copy.deepcopy(example[i % len(example)]) for i in range(count)]
                        yield items, f"{count} items ({key} {limit})"


def edge_requests(
    contract: dict[str, Any],
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    path_params: dict[str, Any] | None = None,
) -> list[EdgeRequest]:
    """One request per edge of each limited body field, query and path parameter, the other
    fields as in the valid ``body``, ``params`` and ``path_params`` given."""
    operation = contract.get("paths", {}).get(path, {}).get(method.lower(), {})
    path_params = path_params or {}
    url = path.format(**path_params)
    base: dict[str, Any] = {}
    if params is not None:
        base["params"] = params
    if body is not None:
        base["json"] = body
    requests: list[EdgeRequest] = []
    for parameter in operation.get("parameters", []):
        name, where = parameter.get("name"), parameter.get("in")
        schema = _plain(contract, parameter.get("schema", {}))
        if where == "query" and params is not None and name in params:
            for value, why in edge_values(schema, params[name]):
                kwargs = {**base, "params": {**params, name: value}}
                requests.append(EdgeRequest(f"query {name} of {why}", url, kwargs))
        elif where == "path" and name in path_params:
            for value, why in edge_values(schema, path_params[name]):
                edge_url = path.format(**{**path_params, name: value})
                requests.append(EdgeRequest(f"path {name} of {why}", edge_url, base))
    if body is not None:
        content = operation.get("requestBody", {}).get("content", {})
        model = _plain(contract, content.get("application/json", {}).get("schema", {}))
        for name, field_schema in model.get("properties", {}).items():
            if name not in body:
                continue
            field = _plain(contract, field_schema)
            for value, why in edge_values(field, body[name]):
                kwargs = {**base, "json": {**body, name: value}}
                requests.append(EdgeRequest(f"body field {name} of {why}", url, kwargs))
            # A list of objects (an invoice's lines): the first item's fields at their edges.
            items = _plain(contract, field.get("items", {})) if field.get("type") == "array" else {}
            first = body[name][0] if isinstance(body[name], list) and body[name] else None
            if not isinstance(first, dict):
                continue
            for inner, inner_schema in items.get("properties", {}).items():
                if inner not in first:
                    continue
                for value, why in edge_values(_plain(contract, inner_schema), first[inner]):
                    changed = [{**first, inner: value}, *body[name][1:]]
                    kwargs = {**base, "json": {**body, name: changed}}
                    label = f"body field {name}[0].{inner} of {why}"
                    requests.append(EdgeRequest(label, url, kwargs))
    return requests


def expect_same_at_the_edges(
    learner_client: Any,
    reference_client: Any,
    reference_contract: dict[str, Any],
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    path_params: dict[str, Any] | None = None,
    base_kwargs: dict[str, Any] | None = None,
    compare_accepted: bool = False,
    ignore_keys: tuple[str, ...] = (),
) -> None:
    """Fail unless the learner's app answers every edge request as the reference does.

    ``path`` is the operation's template in the contract (``/bookings/{booking_id}``), filled
    from ``path_params``. ``base_kwargs`` go with every request (headers, say).

    What must agree is whether validation refused the request (a 422 on one side only fails).
    The answers to requests both accept depend on what the apps hold by then; with
    ``compare_accepted`` they are compared too (``ignore_keys`` left out: ids, times)."""
    requests = edge_requests(
        reference_contract, method, path, body=body, params=params, path_params=path_params
    )
    if not requests:
        fail(
            f"The reference declares no limits on what {method} {path} is given here: this "
            "check has nothing to compare (an author's mistake in the check, not the answer's)."
        )
    for edge in requests:
        kwargs = {**(base_kwargs or {}), **edge.kwargs}
        learner = learner_client.request(method, edge.url, **kwargs)
        reference = reference_client.request(method, edge.url, **kwargs)
        line = f"{method} {edge.url} with {edge.label}"
        refused, reference_refused = learner.status_code == 422, reference.status_code == 422
        if refused != reference_refused:
            fail(
                f"{line}: your app answered {show(learner)}, the reference answered "
                f"{show(reference)}. The limit is part of the contract: keep it where the "
                "exercise declares it."
            )
        if compare_accepted and not refused:
            same_answer(learner, reference, line, ignore_keys=ignore_keys)
