"""An answer's OpenAPI document, made safe to hand to a loader: nothing in it can make one fetch.

The document comes from the answer (``GET /openapi.json``), so it is untrusted input. OpenAPI
loaders, schemathesis among them, follow every ``$ref`` they meet: a relative path is opened
against the reader's working directory, ``file:`` and ``http:`` URLs are read, and an example's
``externalValue`` is downloaded. Whatever comes back shapes the generated requests, so an answer
could have the checks read a file or a loopback-only service and echo it into its feedback.

``offline_document`` is called before any library sees the document. It refuses every reference
that is not local (``#...``), drops ``externalValue``, and refuses reference chains no finite
value satisfies (a model that must contain itself), which would make generation fail or never
end. FastAPI never writes any of these: it puts each model under ``#/components/schemas`` and
refers to it there. schemathesis has no switch of its own that turns remote references off
(4.32.5: ``from_dict`` takes only a config, and its resolver fetches what it is given), so the
check has to happen here. Reference cycles through optional fields (a tree of Pydantic models)
stay: schemathesis bounds their depth itself.

No library does this walk: JSON-Schema tools resolve references (the very thing to avoid) or
validate against a meta-schema that allows remote ones.
"""

from __future__ import annotations

import json
from typing import Any

from schemathesis.core.transforms import UNRESOLVABLE, resolve_pointer

# Keys whose string value a loader follows as a reference (JSON Schema 2019/2020, OpenAPI links).
REFERENCE_KEYS = ("$ref", "$dynamicRef", "$recursiveRef", "operationRef")
# FastAPI's documents nest a dozen levels; far deeper is generated, and slows every reader.
MAX_NESTING = 64
FASTAPI_WRITES = (
    "FastAPI never writes such a reference: it puts every model under #/components/schemas "
    "and refers to it as #/components/schemas/NAME."
)
WHERE_TO_LOOK = (
    "Remove what you added to the document by hand (openapi_extra, json_schema_extra, "
    "openapi_examples or an app.openapi override) and let FastAPI write it."
)


class UnsafeDocument(ValueError):
    """The document reaches outside itself or describes no finite value; the message teaches."""


def offline_document(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` that refers only to itself, or ``UnsafeDocument`` saying why not."""
    # A JSON round trip: a deep copy of plain JSON values, so the caller's document stays as
    # served and loaders that change their input in place (schemathesis does) change ours.
    copy = json.loads(json.dumps(document))
    _refuse_outside_references(copy)
    _drop_external_values(copy)
    _refuse_self_containing_schemas(copy)
    return copy


def _nodes(document: Any) -> Any:
    """Every dict and list in ``document`` with its JSON pointer, without recursion."""
    stack: list[tuple[Any, str, int]] = [(document, "", 0)]
    while stack:
        node, pointer, depth = stack.pop()
        if depth > MAX_NESTING:
            raise UnsafeDocument(
                f"Your OpenAPI document nests deeper than {MAX_NESTING} levels (at {pointer}). "
                "FastAPI's documents nest about a dozen: a model refers to another by name "
                f"rather than holding it inline. {WHERE_TO_LOOK}"
            )
        yield node, pointer
        children = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in children:
            if isinstance(child, dict | list):
                stack.append((child, f"{pointer}/{_escaped(str(key))}", depth + 1))


def _escaped(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _refuse_outside_references(document: dict[str, Any]) -> None:
    for node, pointer in _nodes(document):
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("$id"), str):
            raise UnsafeDocument(
                f"Your OpenAPI document gives part of itself a name of its own (`$id` "
                f"{_shown(node['$id'])} at {pointer}), which changes where its references "
                f"point. FastAPI never writes `$id`. {WHERE_TO_LOOK}"
            )
        for key in REFERENCE_KEYS:
            target = node.get(key)
            if not isinstance(target, str):
                continue
            if not target.startswith("#"):
                raise UnsafeDocument(
                    f"Your OpenAPI document refers to {_shown(target)} outside itself (`{key}` "
                    f"at {pointer}). {FASTAPI_WRITES} The checks read only what the document "
                    f"holds and never open files or URLs it names. {WHERE_TO_LOOK}"
                )
            if target.startswith("#/") and resolve_pointer(document, target[1:]) is UNRESOLVABLE:
                raise UnsafeDocument(
                    f"Your OpenAPI document refers to {_shown(target)} (`{key}` at {pointer}), "
                    f"which it does not hold. {FASTAPI_WRITES} {WHERE_TO_LOOK}"
                )


def _drop_external_values(document: dict[str, Any]) -> None:
    """Forget every ``externalValue``: a loader downloads it to use as an example."""
    for node, _ in _nodes(document):
        if isinstance(node, dict) and isinstance(node.get("externalValue"), str):
            del node["externalValue"]
            if "value" not in node and set(node) <= {"summary", "description"}:
                # What is left of an Example Object would itself be read as the example's value.
                node.clear()


def _refuse_self_containing_schemas(document: dict[str, Any]) -> None:
    """Refuse a reference cycle every value must follow: no finite value fits such a schema."""
    edges: dict[str, set[str]] = {}
    pending = [
        node["$ref"][1:]
        for node, _ in _nodes(document)
        if isinstance(node, dict) and isinstance(node.get("$ref"), str)
        and node["$ref"].startswith("#/")
    ]  # fmt: skip
    while pending:
        target = pending.pop()
        if target in edges:
            continue
        edges[target] = _required_references(resolve_pointer(document, target))
        pending.extend(edges[target])
    cycle = _a_cycle(edges)
    if cycle:
        names = " → ".join(f"#{pointer}" for pointer in cycle)
        raise UnsafeDocument(
            f"Your OpenAPI document describes a value that must contain itself ({names}), so no "
            "request can be generated from it. A model that refers to itself keeps that field "
            "optional (a default of None, or a list that may be empty), and FastAPI then "
            f"documents it that way. {WHERE_TO_LOOK}"
        )


def _required_references(schema: Any) -> set[str]:
    """The local references every value of ``schema`` must hold an instance of."""
    if not isinstance(schema, dict):
        return set()
    found: set[str] = set()
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/"):
        found.add(reference[1:])
    for member in _list(schema.get("allOf")):
        found |= _required_references(member)
    branches = [_required_references(member) for member in _list(schema.get("anyOf"))]
    branches += [_required_references(member) for member in _list(schema.get("oneOf"))]
    if branches:
        found |= set.intersection(*branches)
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name in _list(schema.get("required")):
            if isinstance(name, str):
                found |= _required_references(properties.get(name))
    min_items = schema.get("minItems")
    if isinstance(min_items, int) and min_items >= 1:
        found |= _required_references(schema.get("items"))
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _a_cycle(edges: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph as the pointers along it (first repeated at the end), or []."""
    done: set[str] = set()
    for start in sorted(edges):
        if start in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, list[str]]] = [(start, sorted(edges.get(start, ())))]
        path.append(start)
        on_path.add(start)
        while stack:
            node, successors = stack[-1]
            if not successors:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
                continue
            successor = successors.pop()
            if successor in on_path:
                return [*path[path.index(successor) :], successor]
            if successor not in done:
                stack.append((successor, sorted(edges.get(successor, ()))))
                path.append(successor)
                on_path.add(successor)
    return []


def _shown(text: str) -> str:
    """A reference as a message quotes it: short, on one line."""
    text = " ".join(text.split())
    return f"`{text[:117]}…`" if len(text) > 120 else f"`{text}`"
