"""How an answer writes its lifespan, read from its code.

Starlette still accepts a plain async generator function as a lifespan: it wraps it in
``asynccontextmanager`` itself, with a deprecation warning. The app behaves the same, so no
request shows it, and the warning is the answer process's own report (detail, not evidence).
Lesson 05 teaches the lifespan's one supported form; this reading of the source (which no
linter has a rule for) says where an answer leans on the deprecated one.
"""

from __future__ import annotations

import ast

CONTEXT_MANAGER_DECORATORS = {"asynccontextmanager"}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def undecorated_lifespans(source: str) -> list[tuple[int, str]]:
    """(line, name) of each async generator function handed to ``lifespan=`` without
    ``@asynccontextmanager``. Where the code cannot be read, nothing is found."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    handed = {
        keyword.value.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg == "lifespan" and isinstance(keyword.value, ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.AsyncFunctionDef) or node.name not in handed:
            continue
        decorators = {_name(decorator) for decorator in node.decorator_list}
        own = [n for n in ast.walk(node) if isinstance(n, ast.Yield | ast.YieldFrom)]
        if own and not decorators & CONTEXT_MANAGER_DECORATORS:
            found.append((node.lineno, node.name))
    return sorted(found)


def lifespan_form_problem(source: str) -> str:
    """A message naming each lifespan written in the deprecated form, or "" if none is."""
    found = undecorated_lifespans(source)
    if not found:
        return ""
    where = ", ".join(f"`{name}` (line {line})" for line, name in found)
    return (
        f"{where} is an async generator handed to `lifespan=` as it is: Starlette wraps it in "
        "`asynccontextmanager` itself, for now, with a deprecation warning. Decorate it with "
        "contextlib's `asynccontextmanager`: the lifespan's one supported form."
    )
