"""Rules read from the answer's source where no linter has one.

ruff reviews the cell for everything it knows (``review``). It has no rules for Pydantic 1
idioms that Pydantic 2 deprecated, nor for FastAPI's deprecated spellings; at run time those
only show as warnings inside the answer's process, which the answer could silence. These rules
find them in the source, where the answer cannot interfere. Each finding carries a code of the
workbook's own (``WB1xx``) and reads like a ruff finding, so both become the same kind of row.

``endpoints`` maps each declared operation to its function definition, for checks that must
know how an endpoint is written (``async def`` or ``def``) without running it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from autograder.engine.review import Finding

HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "trace"}

# Pydantic 1 configuration keys and the Pydantic 2 names that replaced them.
RENAMED_CONFIG_KEYS = {
    "orm_mode": "from_attributes",
    "allow_population_by_field_name": "populate_by_name",
    "anystr_strip_whitespace": "str_strip_whitespace",
    "anystr_lower": "str_to_lower",
    "anystr_upper": "str_to_upper",
    "max_anystr_length": "str_max_length",
    "min_anystr_length": "str_min_length",
    "validate_all": "validate_default",
    "schema_extra": "json_schema_extra",
    "allow_mutation": "frozen (inverted)",
    "underscore_attrs_are_private": "(private attributes are the default)",
}
# Pydantic 1 model methods and their Pydantic 2 names.
RENAMED_METHODS = {
    "dict": "model_dump",
    "parse_obj": "model_validate",
    "parse_raw": "model_validate_json",
    "from_orm": "model_validate(..., from_attributes=True)",
    "update_forward_refs": "model_rebuild",
    "schema": "model_json_schema",
    "schema_json": "model_json_schema",
    "construct": "model_construct",
}
RENAMED_VALIDATORS = {"validator": "field_validator", "root_validator": "model_validator"}
# Starlette's status constants renamed after RFC 9110; the old names warn.
RENAMED_STATUS = {
    "HTTP_422_UNPROCESSABLE_ENTITY": "HTTP_422_UNPROCESSABLE_CONTENT",
    "HTTP_413_REQUEST_ENTITY_TOO_LARGE": "HTTP_413_CONTENT_TOO_LARGE",
    "HTTP_414_REQUEST_URI_TOO_LONG": "HTTP_414_URI_TOO_LONG",
    "HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE": "HTTP_416_RANGE_NOT_SATISFIABLE",
}
PARAMETER_FUNCTIONS = {"Query", "Path", "Body", "Header", "Cookie", "Form", "Field"}

# What each code means, for the row's rule text.
RULES = {
    "WB101": "Pydantic 1 configuration: Pydantic 2 configures a model with model_config.",
    "WB102": "Pydantic 1 method: Pydantic 2 renamed the model methods (model_*).",
    "WB103": "Pydantic 1 validator: Pydantic 2 has field_validator and model_validator.",
    "WB201": "Deprecated FastAPI spelling: the modern one is documented beside it.",
    "WB202": "A task whose handle is thrown away can be garbage-collected before it finishes.",
    "WB301": "A secret written in the code: it belongs in the environment, read by settings.",
}
RELATED_ITEMS = {
    "WB101": "pydantic-7",
    "WB102": "pydantic-6",
    "WB103": "pydantic-5",
    "WB202": "async-5",
    "WB301": "security-2",
}
# Calls that start a task and return its only handle. ruff's RUF006 knows some spellings
# (asyncio.create_task, a local `loop.create_task`); these rules catch the rest, and a finding
# ruff already made on the same line is dropped (``without_duplicates``).
TASK_STARTERS = {"create_task", "ensure_future", "run_coroutine_threadsafe"}
# ruff's S105/S106 see a hard-coded secret only under names like `password` or `token`. A key
# called `LINK_SIGNING_KEY` or `stripe_api_key` is as secret: these words in a name, with a
# literal of secret length and no spaces assigned to it (directly, or wrapped in SecretStr(...)),
# make a WB301 finding.
SECRET_NAME_WORDS = ("key", "secret", "token", "password", "passwd", "credential", "apikey")
SECRET_MIN_LENGTH = 12


def without_duplicates(found: list[Finding]) -> list[Finding]:
    """Drop a WB202 finding where ruff's RUF006 already reported the same line."""
    ruff_lines = {finding.line for finding in found if finding.code == "RUF006"}
    return [f for f in found if not (f.code == "WB202" and f.line in ruff_lines)]


def secret_literals(source: str) -> list[str]:
    """The literals WB301 flags in ``source``: checks look for them in what the app sends."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    visitor = _Visitor()
    visitor.visit(tree)
    return visitor.secrets


def findings(source: str) -> list[Finding]:
    """Every WB finding in ``source`` (a source that does not parse has none: ruff says why)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    visitor = _Visitor()
    visitor.visit(tree)
    return sorted(visitor.found, key=lambda f: (f.line, f.code))


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[Finding] = []
        self.task_groups: set[str] = set()  # names bound by `async with TaskGroup() as name`
        self.secrets: list[str] = []  # the literals WB301 found

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        for item in node.items:
            call = item.context_expr
            group = isinstance(call, ast.Call) and _called_name(call.func) in {
                "TaskGroup",
                "create_task_group",
            }
            if group and isinstance(item.optional_vars, ast.Name):
                self.task_groups.add(item.optional_vars.id)
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        self._discarded_task(node.value)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if all(isinstance(target, ast.Name) and target.id == "_" for target in node.targets):
            self._discarded_task(node.value)
        for target in node.targets:
            self._secret_literal(target, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._secret_literal(node.target, node.value)
        self.generic_visit(node)

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg is not None:
            self._secret_literal(ast.Name(id=node.arg), node.value, at=node.value)
        self.generic_visit(node)

    def _secret_literal(self, target: ast.expr, value: ast.expr, at: ast.AST | None = None) -> None:
        name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
        words = name.lower().replace("-", "_")
        if not any(word in words for word in SECRET_NAME_WORDS):
            return
        literal = value
        if isinstance(value, ast.Call) and value.args:  # SecretStr("..."), bytes(...)
            literal = value.args[0]
        if not (isinstance(literal, ast.Constant) and isinstance(literal.value, str | bytes)):
            return
        text = literal.value if isinstance(literal.value, str) else literal.value.decode("latin-1")
        if len(text) < SECRET_MIN_LENGTH or any(c.isspace() for c in text):
            return
        self.secrets.append(text)
        self._add(
            at or value,
            "WB301",
            f"`{name}` is given a secret in the code. Anyone who can read the code (or its "
            "history) has it, and changing it means a new release. Read it from the "
            "environment through settings (pydantic-settings, a `SecretStr` field).",
        )

    def _discarded_task(self, value: ast.expr) -> None:
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)):
            return
        if value.func.attr not in TASK_STARTERS:
            return
        receiver = value.func.value
        if isinstance(receiver, ast.Name) and receiver.id in self.task_groups:
            return  # a task group keeps every task it starts until they all finish
        self._add(
            value,
            "WB202",
            f"the task `.{value.func.attr}(...)` starts is thrown away: the event loop keeps "
            "only a weak reference, so it can vanish before it runs. Await the work, keep the "
            "task (and discard it when done), or start it in a TaskGroup.",
        )

    def _add(self, node: ast.AST, code: str, message: str) -> None:
        line = getattr(node, "lineno", 0)
        self.found.append(Finding(code, message, line, getattr(node, "col_offset", 0) + 1))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for statement in node.body:
            if isinstance(statement, ast.ClassDef) and statement.name == "Config":
                self._add(
                    statement,
                    "WB101",
                    f"`{node.name}` still has a nested `class Config`; Pydantic 2 reads "
                    "`model_config = ConfigDict(...)` and only warns about the old form.",
                )
                for inner in statement.body:
                    for target in _assigned_names(inner):
                        self._renamed_key(inner, target)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _called_name(node.func)
        if name == "ConfigDict":
            for keyword in node.keywords:
                if keyword.arg:
                    self._renamed_key(keyword.value, keyword.arg)
        if name in PARAMETER_FUNCTIONS:
            for keyword in node.keywords:
                if keyword.arg == "regex":
                    self._add(
                        keyword.value,
                        "WB201",
                        f"`{name}(regex=...)` is deprecated; write `pattern=...`.",
                    )
        if name in {"FastAPI", "Starlette", "APIRouter", "Router"}:
            for keyword in node.keywords:
                if keyword.arg in ("on_startup", "on_shutdown"):
                    # No warning at run time either: only the source shows it.
                    self._add(
                        keyword.value,
                        "WB201",
                        f"`{keyword.arg}=` is the old way to start and stop resources (Starlette "
                        "1.0 removed it): one lifespan opens them and closes them, in order.",
                    )
        if isinstance(node.func, ast.Attribute) and node.func.attr in RENAMED_METHODS:
            method = node.func.attr
            # `.dict()` with no arguments or with Pydantic's own keywords; other objects'
            # `.dict`/`.schema` methods take other arguments, and are left alone.
            pydantic_keywords = {"exclude", "include", "exclude_unset", "by_alias", "exclude_none"}
            if (
                method != "dict"
                or not node.args
                or {k.arg for k in node.keywords} & pydantic_keywords
            ):
                self._add(
                    node,
                    "WB102",
                    f"`.{method}(...)` is Pydantic 1; Pydantic 2 calls it "
                    f"`{RENAMED_METHODS[method]}`.",
                )
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = _called_name(target)
            if name in RENAMED_VALIDATORS:
                self._add(
                    decorator,
                    "WB103",
                    f"`@{name}` is Pydantic 1; Pydantic 2 uses `@{RENAMED_VALIDATORS[name]}`.",
                )
            if isinstance(target, ast.Attribute) and target.attr == "on_event":
                self._add(
                    decorator,
                    "WB201",
                    "`on_event` is deprecated (and gone from Starlette 1.0): start and stop "
                    "resources in a lifespan.",
                )
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in RENAMED_STATUS:
            self._add(
                node,
                "WB201",
                f"`status.{node.attr}` is the old name; "
                f"write `status.{RENAMED_STATUS[node.attr]}`.",
            )
        self.generic_visit(node)

    def _renamed_key(self, node: ast.AST, key: str) -> None:
        if key in RENAMED_CONFIG_KEYS:
            self._add(
                node,
                "WB101",
                f"`{key}` is a Pydantic 1 config key that Pydantic 2 ignores or renames; "
                f"write `{RENAMED_CONFIG_KEYS[key]}`.",
            )


def _assigned_names(statement: ast.stmt) -> list[str]:
    if isinstance(statement, ast.Assign):
        return [t.id for t in statement.targets if isinstance(t, ast.Name)]
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return [statement.target.id]
    return []


def _called_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


# --- where each operation is defined ------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    name: str
    is_async: bool
    line: int


def endpoints(source: str) -> list[Endpoint]:
    """Operations declared with ``@app.get("/path")``-style decorators (or ``api_route``)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
                continue
            verb = decorator.func.attr
            path = _path_argument(decorator)
            if path is None:
                continue
            if verb in HTTP_METHODS:
                methods = [verb.upper()]
            elif verb == "api_route":
                methods = _methods_keyword(decorator) or ["GET"]
            else:
                continue
            is_async = isinstance(node, ast.AsyncFunctionDef)
            found.extend(Endpoint(m, path, node.name, is_async, node.lineno) for m in methods)
    return found


def _path_argument(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    for keyword in call.keywords:
        if keyword.arg == "path" and isinstance(keyword.value, ast.Constant):
            return str(keyword.value.value)
    return None


def _methods_keyword(call: ast.Call) -> list[str]:
    for keyword in call.keywords:
        if keyword.arg == "methods" and isinstance(keyword.value, ast.List | ast.Tuple | ast.Set):
            return [
                str(element.value).upper()
                for element in keyword.value.elts
                if isinstance(element, ast.Constant)
            ]
    return []


# --- where database sessions are opened ----------------------------------------------------------

SESSION_CLASSES = {"AsyncSession", "Session"}
SESSION_FACTORIES = {"async_sessionmaker", "sessionmaker"}
ENGINE_FACTORIES = {"create_async_engine", "create_engine"}
CONNECTION_METHODS = {"begin", "connect"}


@dataclass(frozen=True)
class SessionOpening:
    line: int
    function: str  # the function it happens in; "" at module level
    what: str  # "AsyncSession(...)", "a dependency called directly: get_db()"


def sessions_opened_outside_dependencies(source: str) -> list[SessionOpening]:
    """Sessions (and engine connections) opened anywhere but in a dependency or the lifespan.

    Read from the code, where no answer can change what is found: an app whose routes open
    their own sessions ignores an overridden ``get_db``, whatever its answers over HTTP say.
    A dependency is a function named in ``Depends(...)`` or ``Security(...)``; calling one
    that opens a session by hand, outside of them, opens a session too.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    dependencies: set[str] = set()
    lifespans: set[str] = set()
    factories: set[str] = set()
    engines: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = _called_name(node.func)
            if called in {"Depends", "Security"}:
                given = node.args[0] if node.args else _keyword(node, "dependency")
                if given is not None:
                    dependencies.add(_called_name(given))
            lifespan = _keyword(node, "lifespan")
            if lifespan is not None:
                lifespans.add(_called_name(lifespan))
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
            made = _called_name(node.value.func)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {_called_name(target) for target in targets} - {""}
            if made in SESSION_FACTORIES:
                factories |= names
            elif made in ENGINE_FACTORIES:
                engines |= names
    allowed = (dependencies | lifespans) - {""}

    openings: list[tuple[ast.Call, str]] = []
    opening_functions: set[str] = set()

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            inside = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                inside = getattr(child, "name", function)
            if isinstance(child, ast.Call) and _opens_a_session(child, factories, engines):
                openings.append((child, function))
                opening_functions.add(function)
            visit(child, inside)

    visit(tree, "")
    found = [
        SessionOpening(call.lineno, function, f"`{_source_of(call)}`")
        for call, function in openings
        if function not in allowed
    ]
    # A dependency that opens sessions, called by hand, hands out a session no override reaches.
    by_hand = (dependencies & opening_functions) - {""}
    in_depends = {
        id(argument)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _called_name(node.func) in {"Depends", "Security"}
        for argument in node.args
    }

    def visit_calls(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            inside = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inside = child.name
            if (
                isinstance(child, ast.Call)
                and id(child) not in in_depends
                and _called_name(child.func) in by_hand
                and isinstance(child.func, ast.Name)
            ):
                found.append(
                    SessionOpening(
                        child.lineno, function, f"a dependency called by hand: `{child.func.id}()`"
                    )
                )
            visit_calls(child, inside)

    visit_calls(tree, "")
    return sorted(found, key=lambda opening: opening.line)


def _opens_a_session(call: ast.Call, factories: set[str], engines: set[str]) -> bool:
    called = _called_name(call.func)
    if called in SESSION_CLASSES or called in factories:
        return True
    if isinstance(call.func, ast.Call) and _called_name(call.func.func) in SESSION_FACTORIES:
        return True  # async_sessionmaker(engine)()
    return (
        called in CONNECTION_METHODS
        and isinstance(call.func, ast.Attribute)
        and _called_name(call.func.value) in engines
    )


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((keyword.value for keyword in call.keywords if keyword.arg == name), None)


def _source_of(node: ast.AST, limit: int = 60) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- which dependencies a route reaches -----------------------------------------------------------

DEPENDENCY_MARKERS = {"Depends", "Security"}


def route_dependencies(source: str, method: str, path: str) -> set[str] | None:
    """Every dependency the route ``method path`` reaches, read from the code: its parameters'
    ``Depends``/``Security`` (direct, through an ``Annotated`` alias, or ``Depends()`` on a
    class), those of its decorator, of its router, and theirs in turn. None: no such route.

    What an app does when a dependency is overridden happens in its own process, where an
    answer could imitate it; whether the route asks for the dependency at all is read here.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    aliases: dict[str, set[str]] = {}
    lists: dict[str, set[str]] = {}  # `Librarian = [Depends(require_librarian)]`
    # A router's (or the app's) prefix and dependencies, from its constructor and include_router
    routers: dict[str, tuple[str, set[str]]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            name = _called_name(node.targets[0])
            if isinstance(node.value, ast.Subscript):
                aliases[name] = _annotation_dependencies(node.value, {})
            elif isinstance(node.value, ast.List | ast.Tuple):
                lists[name] = _listed_dependencies(node.value, {})
            elif isinstance(node.value, ast.Call):
                routers[name] = (
                    _constant(_keyword(node.value, "prefix")),
                    _listed_dependencies(_keyword(node.value, "dependencies"), lists),
                )
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and _called_name(node.func) == "include_router"
            and node.args
            and _called_name(node.args[0]) in routers
        ):
            name = _called_name(node.args[0])
            prefix, listed = routers[name]
            routers[name] = (
                _constant(_keyword(node, "prefix")) + prefix,
                listed | _listed_dependencies(_keyword(node, "dependencies"), lists),
            )
    definitions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            definitions.setdefault(node.name, node)

    def direct(name: str) -> set[str]:
        node = definitions.get(name)
        if isinstance(node, ast.ClassDef):
            init = next(
                (
                    item
                    for item in node.body
                    if isinstance(item, ast.FunctionDef) and item.name == "__init__"
                ),
                None,
            )
            return _parameter_dependencies(init, aliases) if init is not None else set()
        return _parameter_dependencies(node, aliases) if node is not None else set()

    def closure(start: set[str]) -> set[str]:
        reached, pending = set(), list(start)
        while pending:
            name = pending.pop()
            if name and name not in reached:
                reached.add(name)
                pending.extend(direct(name))
        return reached

    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
                continue
            verb = decorator.func.attr
            methods = (
                [verb.upper()]
                if verb in HTTP_METHODS
                else (_methods_keyword(decorator) or ["GET"])
                if verb == "api_route"
                else []
            )
            prefix, router_dependencies = routers.get(
                _called_name(decorator.func.value), ("", set())
            )
            if method.upper() not in methods or prefix + (_path_argument(decorator) or "") != path:
                continue
            start = _parameter_dependencies(node, aliases)
            start |= _listed_dependencies(_keyword(decorator, "dependencies"), lists)
            return closure(start | router_dependencies)
    return None


def _parameter_dependencies(
    function: ast.FunctionDef | ast.AsyncFunctionDef, aliases: dict[str, set[str]]
) -> set[str]:
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
    defaults += list(arguments.defaults)
    pairs = list(zip(positional, defaults, strict=True))
    pairs += list(zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True))
    found: set[str] = set()
    for argument, default in pairs:
        found |= _annotation_dependencies(argument.annotation, aliases)
        if isinstance(default, ast.Call) and _called_name(default.func) in DEPENDENCY_MARKERS:
            found.add(_marker_target(default, argument.annotation))
    return found - {""}


def _annotation_dependencies(annotation: ast.expr | None, aliases: dict[str, set[str]]) -> set[str]:
    if annotation is None:
        return set()
    if isinstance(annotation, ast.Name):
        return aliases.get(annotation.id, set())
    if (
        isinstance(annotation, ast.Subscript)
        and _called_name(annotation.value) == "Annotated"
        and isinstance(annotation.slice, ast.Tuple)
        and annotation.slice.elts
    ):
        kind, *extras = annotation.slice.elts
        return {
            _marker_target(extra, kind)
            for extra in extras
            if isinstance(extra, ast.Call) and _called_name(extra.func) in DEPENDENCY_MARKERS
        }
    return set()


def _marker_target(marker: ast.Call, annotation: ast.expr | None) -> str:
    """What ``Depends(x)`` depends on; ``Depends()`` depends on the annotated class."""
    given = marker.args[0] if marker.args else _keyword(marker, "dependency")
    if given is not None:
        return _called_name(given)
    if isinstance(annotation, ast.Subscript) and _called_name(annotation.value) == "Annotated":
        elements = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else []
        return _called_name(elements[0]) if elements else ""
    return _called_name(annotation) if annotation is not None else ""


def _listed_dependencies(listed: ast.expr | None, lists: dict[str, set[str]]) -> set[str]:
    if isinstance(listed, ast.Name):
        return lists.get(listed.id, set())
    if not isinstance(listed, ast.List | ast.Tuple):
        return set()
    return {
        _marker_target(item, None)
        for item in listed.elts
        if isinstance(item, ast.Call) and _called_name(item.func) in DEPENDENCY_MARKERS
    } - {""}


def _constant(node: ast.expr | None) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
