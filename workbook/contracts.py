"""Lesson 03's demo: what a client sees of an API, and what schemathesis finds in it.

``outline`` reads an app's OpenAPI document the way Swagger UI or a client generator lists it:
each operation's title, then every response it promises. ``compare_outlines`` sets two of them
side by side. ``contract_findings`` runs schemathesis against an app in this process, through
Starlette's TestClient, with the same checks the exercises use.
"""

from __future__ import annotations

import html
from typing import Any

from fastapi.testclient import TestClient

from autograder.engine.conformance import Finding
from autograder.engine.conformance import contract_findings as _findings_over_http

METHOD_ORDER = ("get", "post", "put", "patch", "delete")


def outline(app: Any) -> list[str]:
    """One line per operation and one per promised response, as a generated client lists them."""
    document = app.openapi()
    lines = []
    for path, operations in document.get("paths", {}).items():
        for method in METHOD_ORDER:
            operation = operations.get(method)
            if operation is None:
                continue
            lines.append(f"{method.upper()} {path}: {operation.get('summary', '(no title)')}")
            for code, response in operation.get("responses", {}).items():
                has_body = bool(response.get("content"))
                body = "" if has_body else ", no body"
                lines.append(f"    {code} {response.get('description', '')}{body}")
    return lines


def compare_outlines(bad: Any, good: Any, titles: tuple[str, str] = ("Bad", "Good")) -> Any:
    """Both apps' outlines in two columns, for a notebook (an IPython HTML object)."""
    from IPython.display import HTML

    def column(app: Any) -> str:
        return html.escape("\n".join(outline(app)))

    cell = "vertical-align:top;text-align:left;padding:4px 12px"
    return HTML(
        "<table><tr>"
        + "".join(f"<th style='{cell}'>{html.escape(t)}</th>" for t in titles)
        + "</tr><tr>"
        + "".join(f"<td style='{cell}'><pre>{column(app)}</pre></td>" for app in (bad, good))
        + "</tr></table>"
    )


def contract_findings(app: Any, *, max_examples: int = 12) -> list[Finding]:
    """What schemathesis finds when it calls ``app`` with requests generated from its document."""
    with TestClient(app, raise_server_exceptions=False) as client:
        return _findings_over_http(client, app.openapi(), max_examples=max_examples)
