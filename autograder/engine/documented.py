"""What the reference's OpenAPI document says, said by the learner's too, in any words.

Lessons 02 and 03 teach that a contract documents itself: each status an operation may
answer, with a description and a body model; a summary, a description and a response
description per operation; a description per parameter and field; a title for the API. A
check against the reference's document must not ask for its wording (a correct alternative
words things its own way), so this compares what is there, not what it says:

- every status the reference documents for an operation is documented too (more is allowed);
- a documented body with named properties has at least those properties;
- where the reference replaced FastAPI's default text (a response's "Successful Response" or
  HTTP phrase, the title "FastAPI", a summary made from the function's name), the learner's
  replaced it too;
- where the reference describes an operation, a parameter or a body field, the learner's
  describes it too.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from autograder.engine.checkkit import fail, resolve

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
FASTAPI_TITLE = "FastAPI"
SUCCESS_DESCRIPTION = "Successful Response"


def _default_response_description(status: str) -> set[str]:
    defaults = {SUCCESS_DESCRIPTION, "Validation Error"}
    try:
        defaults.add(HTTPStatus(int(status)).phrase)
    except ValueError:
        pass
    return defaults


def _operations(contract: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in contract.get("paths", {}).items()
        if isinstance(item, dict)
        for method, operation in item.items()
        if method in METHODS and isinstance(operation, dict)
    }


def _json_schema(contract: dict[str, Any], holder: dict[str, Any]) -> dict[str, Any]:
    schema = holder.get("content", {}).get("application/json", {}).get("schema", {})
    return resolve(contract, schema) if isinstance(schema, dict) else {}


def _is_function_summary(operation: dict[str, Any]) -> bool:
    """Whether the summary is the one FastAPI makes from the function's name ("Read Invoice"
    for ``read_invoice``, whose name starts the default operationId)."""
    summary = str(operation.get("summary", ""))
    spelled = summary.lower().replace(" ", "_")
    return bool(summary) and str(operation.get("operationId", "")).startswith(spelled)


def documentation_gaps(
    learner: dict[str, Any], reference: dict[str, Any], *, parameters: bool = True
) -> list[str]:
    """What the reference's document states that the learner's leaves out, one line each."""
    gaps: list[str] = []
    if reference.get("info", {}).get("title") != FASTAPI_TITLE and (
        learner.get("info", {}).get("title") in (FASTAPI_TITLE, "", None)
    ):
        gaps.append("the API has FastAPI's default title: give it its own (`FastAPI(title=...)`)")
    mine = _operations(learner)
    for key, theirs in _operations(reference).items():
        where = f"{key[0]} {key[1]}"
        operation = mine.get(key)
        if operation is None:
            gaps.append(f"{where} is not in your OpenAPI document")
            continue
        for field in ("summary", "description"):
            if theirs.get(field) and not operation.get(field):
                gaps.append(f"{where} has no {field}")
        if not _is_function_summary(theirs) and _is_function_summary(operation):
            gaps.append(f"{where}'s summary is the one FastAPI makes from the function's name")
        responses = operation.get("responses", {})
        for status, response in theirs.get("responses", {}).items():
            documented = responses.get(status)
            if documented is None:
                gaps.append(f"{where} does not document the status {status} it may answer")
                continue
            defaults = _default_response_description(status)
            if response.get("description") not in defaults and documented.get(
                "description"
            ) in defaults | {"", None}:
                gaps.append(
                    f"{where}'s {status} response keeps the default description "
                    f"{documented.get('description')!r}: say what it holds"
                )
            wanted = set(_json_schema(reference, response).get("properties", {}))
            present = set(_json_schema(learner, documented).get("properties", {}))
            if wanted - present:
                gaps.append(
                    f"{where}'s documented {status} body has no {sorted(wanted - present)} "
                    "(its model must list what the body holds)"
                )
        if parameters:
            gaps.extend(_parameter_gaps(where, learner, operation, reference, theirs))
    return gaps


def _parameter_gaps(
    where: str,
    learner: dict[str, Any],
    operation: dict[str, Any],
    reference: dict[str, Any],
    theirs: dict[str, Any],
) -> list[str]:
    gaps: list[str] = []
    described = {
        p.get("name"): bool(p.get("description") or p.get("schema", {}).get("description"))
        for p in operation.get("parameters", [])
    }
    for parameter in theirs.get("parameters", []):
        name = parameter.get("name")
        if (parameter.get("description") or parameter.get("schema", {}).get("description")) and (
            not described.get(name)
        ):
            gaps.append(f"{where}'s parameter {name!r} has no description")
    wanted = _json_schema(reference, theirs.get("requestBody", {})).get("properties", {})
    present = _json_schema(learner, operation.get("requestBody", {})).get("properties", {})
    for name, schema in wanted.items():
        if resolve(reference, schema).get("description") and not resolve(
            learner, present.get(name, {})
        ).get("description"):
            gaps.append(f"{where}'s body field {name!r} has no description")
    return gaps


def expect_documented_like_the_reference(
    learner_contract: dict[str, Any],
    reference_contract: dict[str, Any],
    *,
    parameters: bool = True,
) -> None:
    gaps = documentation_gaps(learner_contract, reference_contract, parameters=parameters)
    if gaps:
        shown = "; ".join(gaps[:4]) + (f"; and {len(gaps) - 4} more" if len(gaps) > 4 else "")
        fail(
            f"Your OpenAPI document leaves out what the exercise's contract states: {shown}. "
            "Any wording will do; what is documented may not be missing."
        )
