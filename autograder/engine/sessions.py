"""Sessions a dependency opens and never closes, read from the answer's code."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from autograder.engine import source_rules


def _own_statements(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The nodes of ``function``'s own body, not those of functions defined inside it."""
    stack = list(function.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


def sessions_never_closed(source: str) -> list[tuple[int, str]]:
    """Dependencies that open a session without `yield`: (line, name) of each.

    Read from the code: a session a dependency returns is closed by nobody (FastAPI runs the
    code after `yield` once the response is sent; a plain function has none), and what the
    app's process says about the connection it left (SQLAlchemy's warning) is the answer's
    own account. No linter has this rule, hence the walk here.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    dependencies = source_rules._reached_from_markers(tree)
    factories, engines = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            made = source_rules._called_name(node.value.func)
            names = {source_rules._called_name(target) for target in node.targets} - {""}
            if made in source_rules.SESSION_FACTORIES:
                factories |= names
            elif made in source_rules.ENGINE_FACTORIES:
                engines |= names
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if node.name not in dependencies:
            continue
        own = list(_own_statements(node))
        if any(isinstance(n, ast.Yield | ast.YieldFrom) for n in own):
            continue
        if any(
            isinstance(n, ast.Call) and source_rules._opens_a_session(n, factories, engines)
            for n in own
        ):
            found.append((node.lineno, node.name))
    return sorted(found)
