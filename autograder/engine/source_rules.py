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
    "WB203": "An attribute named by a string put together at run time hides which API is used.",
    "WB301": "A secret written in the code: it belongs in the environment, read by settings.",
    "WB401": "The grader's own machinery is no part of an app: an app that looks at it can tell "
    "when it is graded.",
}

# What to do about each of the workbook's own source rules (``RULES``):
# the row's message says what was found; the hint says the step that fixes it.
RULE_HINTS = {
    "WB101": "Replace `class Config:` (or `Config = ...`) with "
    "`model_config = ConfigDict(...)` on the model, keeping its settings as keyword arguments.",
    "WB102": "Call the Pydantic 2 method the line names: `.model_dump()` for `.dict()`, "
    "`.model_dump_json()` for `.json()`, `.model_validate()` for `.parse_obj()`.",
    "WB103": 'Decorate with `@field_validator("name")` (a `@classmethod` under it) for one '
    'field, or `@model_validator(mode="after")` for the whole model, instead of `@validator`.',
    "WB201": "Use the FastAPI spelling the message names in place of the deprecated one (for "
    "example `lifespan=` for `@app.on_event`, `Annotated[..., Depends()]` for a bare default).",
    "WB202": "Keep the task: `await` the work, add it to a set and discard it in a done "
    "callback, or start it inside `async with asyncio.TaskGroup() as tasks:`.",
    "WB203": 'Write the attribute out (`obj.name`) instead of `getattr(obj, "na" + "me")`: '
    "a reader, and the review, then see which API the code uses.",
    "WB301": "Move the secret out of the code: a `SecretStr` field on a pydantic-settings "
    "`BaseSettings` class reads it from the environment; the code keeps only the field.",
    "WB401": "Delete the import or lookup of the grader's machinery the message names (a "
    "`workbook.host` or `autograder` module): the app should serve the same way whether or not "
    "it is being checked.",
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
    """Every WB finding in ``source`` (a source that does not parse has none: ruff says why).

    The rules read the code as it is spelled after ``plain_spelling``: an alias, a `getattr`
    with a name the code spells out, or a name built from literals reads as the plain name.
    """
    try:
        tree = plain_spelling(ast.parse(source))
        visitor = _Visitor(app_like=_AppLike(tree), tree=tree)
        visitor.visit(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found = visitor.found + _grader_modules_reached(tree)
    unique = {(f.line, f.code, f.message): f for f in found}
    return sorted(unique.values(), key=lambda f: (f.line, f.code))


# The answer host (``workbook.host``) and the grader (``autograder``) are importable where an
# answer runs, as the fake services' helpers (``workbook.upstreams``, ``workbook.fakes``) must
# be. An app that imports them, or names them to an import function, can tell that it is being
# graded (the host's own context variables hold every request it serves) and apply a fix only
# then. No app needs them; ruff has no rule for a project's private modules (its TID251 bans
# named imports, not strings handed to `importlib`), so this one reads both.
GRADER_MODULES = ("workbook.host", "autograder")


def _grader_module(name: str) -> bool:
    return any(name == module or name.startswith(module + ".") for module in GRADER_MODULES)


def _grader_modules_reached(tree: ast.Module) -> list[Finding]:
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]  # `importlib.import_module("...")`, `sys.modules["..."]`
        reached = next((name for name in names if _grader_module(name)), None)
        if reached is not None:
            found.append(
                Finding(
                    "WB401",
                    f"The code reaches `{reached}`, the grader's own machinery: an app that looks "
                    "at it can behave one way when graded and another when deployed. Remove it; "
                    "the app needs only what it serves with.",
                    getattr(node, "lineno", 0),
                    getattr(node, "col_offset", 0) + 1,
                )
            )
    return found


# --- spellings that walk around a rule, read plainly ---------------------------------------------
#
# A rule that looks for `app.on_event` or `.parse_obj(...)` is walked around by `hook =
# app.on_event`, `from pydantic import validator as check`, `getattr(app, "on_" + "event")` or
# a helper that hands `on_startup=` on. No linter follows these for the workbook's own rules
# (ruff's B009 flags a constant `getattr`, nothing more), so the tree is rewritten first: names
# bound once to another name or attribute become that name, strings built from literals become
# the literal, and `getattr(x, "name")` becomes `x.name`.

HOOK_NAMES = {"on_event", "add_event_handler", "on_startup", "on_shutdown"}
DYNAMIC_ACCESS = {"getattr", "setattr", "delattr", "attrgetter", "methodcaller"}


def plain_spelling(tree: ast.Module) -> ast.Module:
    """``tree`` with aliases, folded strings and constant `getattr` written plainly."""
    bound: dict[str, int] = {}
    values: dict[str, ast.expr] = {}
    for node in ast.walk(tree):
        for name in _bound_names(node):
            bound[name] = bound.get(name, 0) + 1
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            if isinstance(node.targets[0], ast.Name):
                values[node.targets[0].id] = node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            if isinstance(node.target, ast.Name):
                values[node.target.id] = node.value
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.asname and alias.asname != alias.name:
                    values[alias.asname] = ast.Name(id=alias.name, ctx=ast.Load())
    once = {name: value for name, value in values.items() if bound.get(name) == 1}
    rewritten = _PlainSpelling(once).visit(tree)
    return ast.fix_missing_locations(rewritten)


def _bound_names(node: ast.AST) -> list[str]:
    """The names a node binds: any rebinding makes a name no alias."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
        return [node.id]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Import | ast.ImportFrom):
        return [alias.asname or alias.name.split(".")[0] for alias in node.names]
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [node.name]
    if isinstance(node, ast.Global | ast.Nonlocal):
        return [*node.names, *node.names]  # bound elsewhere too: never an alias
    return []


class _PlainSpelling(ast.NodeTransformer):
    def __init__(self, aliases: dict[str, ast.expr]) -> None:
        self.aliases = aliases
        self.expanding: set[str] = set()

    def visit_Name(self, node: ast.Name) -> ast.expr:
        value = self.aliases.get(node.id)
        if (
            not isinstance(node.ctx, ast.Load)
            or value is None
            or node.id in self.expanding
            or len(self.expanding) > 20
        ):
            return node
        folded = _folded(value, self.aliases)
        if folded is not None:
            return ast.copy_location(ast.Constant(value=folded), node)
        if not isinstance(value, ast.Name | ast.Attribute | ast.Call):
            return node
        if isinstance(value, ast.Call) and _called_name(value.func) != "getattr":
            return node  # a value made by a call is no alias (`client = make_client()`)
        self.expanding.add(node.id)
        try:
            expanded = self.visit(_relocated(value, node))
        finally:
            self.expanding.discard(node.id)
        return expanded

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        folded = _folded(node, self.aliases)
        if folded is not None:
            return ast.copy_location(ast.Constant(value=folded), node)
        return self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.expr:
        folded = _folded(node, self.aliases)
        if folded is not None:
            return ast.copy_location(ast.Constant(value=folded), node)
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.expr:
        folded = _folded(node, self.aliases)
        if folded is not None:
            return ast.copy_location(ast.Constant(value=folded), node)
        self.generic_visit(node)
        if (
            isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and node.args[1].value.isidentifier()
        ):
            attribute = ast.Attribute(value=node.args[0], attr=node.args[1].value, ctx=ast.Load())
            return ast.copy_location(attribute, node)
        return node


def _relocated(value: ast.expr, at: ast.AST) -> ast.expr:
    """A copy of ``value`` placed where it is used, so findings name the line of the use."""
    copied = ast.parse(ast.unparse(value), mode="eval").body
    for node in ast.walk(copied):
        ast.copy_location(node, at)
    return copied


def _folded(node: ast.expr, aliases: dict[str, ast.expr], depth: int = 0) -> str | None:
    """A string built from literals: `"on_" + "event"`, an f-string of them, `"".join([...])`."""
    if depth > 20:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        return _folded(aliases[node.id], aliases, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = (
            _folded(node.left, aliases, depth + 1),
            _folded(node.right, aliases, depth + 1),
        )
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            inner = value.value if isinstance(value, ast.FormattedValue) else value
            text = _folded(inner, aliases, depth + 1)
            if text is None:
                return None
            parts.append(text)
        return "".join(parts)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.List | ast.Tuple)
    ):
        separator = _folded(node.func.value, aliases, depth + 1)
        parts = [_folded(element, aliases, depth + 1) for element in node.args[0].elts]
        if separator is None or any(part is None for part in parts):
            return None
        return separator.join(part for part in parts if part is not None)
    return None


def _names_and_helpers(
    tree: ast.Module | None,
) -> tuple[dict[str, ast.expr], dict[str, list[tuple[int, str]]]]:
    """Names bound once (to what), and the helpers that read an attribute named by one of
    their parameters (`def call(obj, name): return getattr(obj, name)()`): which parameter."""
    if tree is None:
        return {}, {}
    bound: dict[str, int] = {}
    values: dict[str, ast.expr] = {}
    for node in ast.walk(tree):
        for name in _bound_names(node):
            bound[name] = bound.get(name, 0) + 1
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            if isinstance(node.targets[0], ast.Name):
                values[node.targets[0].id] = node.value
    assigned = {name: value for name, value in values.items() if bound.get(name) == 1}
    helpers: dict[str, list[tuple[int, str]]] = {}
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        parameters = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        named = set()
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            called = _called_name(node.func)
            if called in {"getattr", "setattr", "delattr"} and len(node.args) >= 2:
                chosen = node.args[1]
            elif called in {"attrgetter", "methodcaller"} and node.args:
                chosen = node.args[0]
            else:
                continue
            if isinstance(chosen, ast.Name) and chosen.id in parameters:
                named.add(chosen.id)
        if named:
            helpers[function.name] = [(i, p) for i, p in enumerate(parameters) if p in named]
    return assigned, helpers


class _AppLike:
    """Which expressions are the app or a router: names bound to `FastAPI(...)` and the like,
    `x.router`, `request.app`, and parameters of helpers that are handed one."""

    def __init__(self, tree: ast.Module) -> None:
        self.names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                if _called_name(node.value.func) in {"FastAPI", "Starlette", "APIRouter", "Router"}:
                    self.names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        functions = {
            node.name: node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        for _ in range(3):  # helpers of helpers
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                    continue
                function = functions.get(node.func.id)
                if function is None:
                    continue
                parameters = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
                handed = list(zip(parameters, node.args, strict=False))
                handed += [(k.arg, k.value) for k in node.keywords if k.arg]
                self.names |= {name for name, value in handed if self(value)}

    def __call__(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.names
        if isinstance(node, ast.Attribute):
            return node.attr in {"router", "app"} or self(node.value)
        if isinstance(node, ast.Call):
            return _called_name(node.func) in {"FastAPI", "APIRouter"}
        return False


class _Visitor(ast.NodeVisitor):
    def __init__(self, app_like: _AppLike | None = None, tree: ast.Module | None = None) -> None:
        self.app_like = app_like or (lambda node: False)
        self.assigned, self.name_parameters = _names_and_helpers(tree)
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
        for keyword in node.keywords:
            if keyword.arg in ("on_startup", "on_shutdown"):
                # On any call: a helper that builds the app hands the keyword on. No warning at
                # run time either: only the source shows it.
                self._add(
                    keyword.value,
                    "WB201",
                    f"`{keyword.arg}=` is the old way to start and stop resources (Starlette "
                    "1.0 removed it): one lifespan opens them and closes them, in order.",
                )
        self._dynamic_access(node, name)
        self._helper_handed_a_name(node)
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
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Constant(self, node: ast.Constant) -> None:
        # `setattr(app.router, "on_startup", ...)`, `**{"on_startup": [...]}`, `vars(...)[...]`,
        # `attrgetter("router.on_startup")`, a helper handed "on_event": the name, as a string.
        if isinstance(node.value, str) and HOOK_NAMES & set(node.value.split(".")):
            self._add(
                node,
                "WB201",
                f"{node.value!r} names the old start-up and shut-down hooks (on_event, "
                "on_startup, on_shutdown, add_event_handler), whatever reaches them: start and "
                "stop resources in one lifespan, `FastAPI(lifespan=...)`.",
            )

    def _dynamic_access(self, node: ast.Call, name: str) -> None:
        """An attribute of the app or a router named at run time: the review cannot read it."""
        receiver, chosen = None, None
        if name in {"getattr", "setattr", "delattr"} and len(node.args) >= 2:
            receiver, chosen = node.args[0], node.args[1]
        elif name == "__getattribute__" and isinstance(node.func, ast.Attribute) and node.args:
            receiver, chosen = node.func.value, node.args[0]
        elif (
            isinstance(node.func, ast.Call)
            and _called_name(node.func.func) in DYNAMIC_ACCESS
            and node.args
        ):
            receiver = node.args[0]
            chosen = node.func.args[0] if node.func.args else None
        elif name == "vars" and node.args:
            receiver, chosen = node.args[0], ast.Name(id="vars")
        elif name in {"attrgetter", "methodcaller"} and node.args:
            # The object comes later (`attrgetter(name)(obj)`, read above); the name is here.
            receiver, chosen = ast.Constant(value=None), node.args[0]
        if receiver is None or chosen is None:
            return
        outer_of_a_getter = isinstance(node.func, ast.Call)
        if isinstance(chosen, ast.Constant):
            if outer_of_a_getter:
                return
            if isinstance(chosen.value, str) and chosen.value in RENAMED_METHODS:
                self._add(
                    node,
                    "WB102",
                    f"`{_source_of(node)}` reaches `.{chosen.value}`, which is Pydantic 1; "
                    f"Pydantic 2 calls it `{RENAMED_METHODS[chosen.value]}`.",
                )
            return
        if self.app_like(receiver):
            self._add(
                node,
                "WB201",
                f"`{_source_of(node)}` reaches into the app by a name chosen at run time, so "
                "the review cannot tell which API it uses (the old start-up hooks among them). "
                "Write the attribute out, and start and stop resources in a lifespan.",
            )
        elif self._assembled(chosen) and not outer_of_a_getter:
            self._assembled_name(node)

    def _assembled_name(self, node: ast.AST) -> None:
        self._add(
            node,
            "WB203",
            f"`{_source_of(node)}` names an attribute with a string put together at run time, "
            "which hides from review (and from readers) which API the code uses. Write the "
            "attribute out: `obj.name`.",
        )

    def _assembled(self, node: ast.expr, depth: int = 0) -> bool:
        """A name put together from literals in the code (`"".join(reversed("..."))`, a
        lookup by a literal key), as opposed to one that comes from data, like a field name."""
        if depth > 20:
            return False
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str | bytes)
        if isinstance(node, ast.Name):
            value = self.assigned.get(node.id)
            return value is not None and self._assembled(value, depth + 1)
        if isinstance(node, ast.Call) and _called_name(node.func) == "chr":
            return True
        return any(
            self._assembled(child, depth + 1)
            for child in ast.iter_child_nodes(node)
            if isinstance(child, ast.expr)
        )

    def _helper_handed_a_name(self, node: ast.Call) -> None:
        """A helper that reads an attribute named by one of its parameters, called with it."""
        if not isinstance(node.func, ast.Name):
            return
        for index, parameter in self.name_parameters.get(node.func.id, []):
            given = node.args[index] if index < len(node.args) else _keyword(node, parameter)
            if given is None or isinstance(given, ast.Starred):
                continue
            if isinstance(given, ast.Constant) and isinstance(given.value, str):
                if given.value in RENAMED_METHODS:
                    self._add(
                        node,
                        "WB102",
                        f"`{_source_of(node)}` hands `{given.value}` to `{node.func.id}`, which "
                        f"reaches the attribute of that name: `.{given.value}` is Pydantic 1; "
                        f"Pydantic 2 calls it `{RENAMED_METHODS[given.value]}`.",
                    )
            elif self._assembled(given):
                self._assembled_name(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in HOOK_NAMES:
            self._add(
                node,
                "WB201",
                f"`.{node.attr}` is the old way to start and stop resources (deprecated, and "
                "gone from Starlette 1.0), however it is reached: an alias, `getattr`, "
                "`app.router.on_startup.append(...)`. One lifespan opens resources and closes "
                "them, in order: `FastAPI(lifespan=...)`.",
            )
        elif node.attr == "__dict__" and self.app_like(node.value):
            self._add(
                node,
                "WB201",
                f"`{_source_of(node)}` reaches into the app's attributes by name, so the "
                "review cannot tell which API it uses. Write the attribute out, and start and "
                "stop resources in a lifespan.",
            )
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
    # A dependency made by a factory (`Depends(session_for(engine))`) opens its sessions in the
    # function the factory returns: every function the markers reach is a dependency too.
    dependencies |= _reached_from_markers(tree)
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


def _reached_from_markers(tree: ast.Module) -> set[str]:
    """The names of everything FastAPI calls as a dependency, from every marker in the code."""
    try:
        reader = _DependencyReader(tree)
        reached: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and reader._is_marker(node):
                reader.reached, reader._seen = set(), set()
                reader._marker_or_helper(node, None, {}, 0)
                reached |= reader.reached
    except RecursionError:
        return set()
    return reached


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
#
# No linter or library reads FastAPI's dependency graph from source (FastAPI builds it from live
# objects, which exist only in the answer's process), so this is a small reader of our own. It
# follows what FastAPI follows: parameters' `Depends`/`Security` (in a default, in `Annotated`,
# through aliases, nested `Annotated` and helpers that return a marker), dependencies made by
# factories (`require_role("librarian")`), classes (their `__init__` or fields) and instances
# (`__call__`), `functools.partial`, lambdas, and the `dependencies=` of decorators, routers,
# `include_router` and the app, with routers nested at any depth and their prefixes added up.
# What it cannot follow it names (``unread``), and it reads everything that part of the code
# refers to, its definitions and what is done to them (``may_reach``): where that holds the
# dependency (or the code looks names up at run time), the behaviour decides; where it cannot, an
# unread `Depends(AUDIT["audit"])` beside the route leaves nothing undecided about `current_member`.

DEPENDENCY_MARKERS = {"Depends", "Security"}
# Markers FastAPI reads in `Annotated[...]`; the last of them is the one that counts.
FASTAPI_PARAMETERS = DEPENDENCY_MARKERS | {
    "Query",
    "Path",
    "Body",
    "Header",
    "Cookie",
    "Form",
    "File",
}
ROUTER_CLASSES = {"FastAPI", "APIRouter"}
MAX_FOLLOW_DEPTH = 40

Env = dict[str, tuple[ast.expr, "Env"]]
RouterKey = tuple[int, str]  # (the function it is bound in, 0 for the module; its name)


@dataclass(frozen=True)
class RouteReading:
    """What the code shows a route asks for: the dependencies reached (functions and classes by
    name, factories as the factory's name) and what the reading could not follow."""

    reached: frozenset[str]
    unread: tuple[str, ...] = ()
    # Every name the unread parts could stand for; None: anything (names looked up at run time).
    may_reach: frozenset[str] | None = None

    def asks_for(self, dependency: str) -> bool | None:
        """True or False when the code decides it; None when the reading cannot tell."""
        if dependency in self.reached:
            return True
        if not self.unread:
            return False
        return None if self.may_reach is None or dependency in self.may_reach else False


def route_dependencies(source: str, method: str, path: str) -> RouteReading | None:
    """Every dependency the route ``method path`` reaches, read from the code (see above).

    None: the code declares no such route in a way the reading can place (a decorator or
    ``add_api_route`` on the app or on a router included into it); behaviour decides then.
    Declared more than once, a dependency counts as reached only if every declaration reaches it.

    What an app does when a dependency is overridden happens in its own process, where an
    answer could imitate it; whether the route asks for the dependency at all is read here.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    try:
        reader = _DependencyReader(tree)
        declarations = reader.routes(method.upper(), path)
        if not declarations:
            return None
        readings = [reader.reach(starts, unread) for starts, unread in declarations]
    except RecursionError:
        return None
    reached = frozenset.intersection(*(reading.reached for reading in readings))
    unread = tuple(dict.fromkeys(item for reading in readings for item in reading.unread))
    may_reach: frozenset[str] | None = frozenset()
    for reading in readings:
        if reading.may_reach is None or may_reach is None:
            may_reach = None
        else:
            may_reach |= reading.may_reach
    return RouteReading(reached, unread, may_reach)


@dataclass(frozen=True)
class _Unread:
    """A part of the code the reading could not follow: what to call it, and where it is (None:
    anywhere, as when the reading gave up for depth)."""

    text: str
    node: ast.AST | None
    env: Env


# Names that look other names up at run time, or reach the module's namespace: in the part of
# the code a route's unread dependency refers to, or anywhere they can rewrite a global, they
# make that dependency stand for anything.
RUN_TIME_LOOKUPS = {
    "getattr", "setattr", "attrgetter", "methodcaller", "globals", "vars", "locals", "eval",
    "exec", "compile", "__import__", "import_module", "modules", "__dict__", "__main__",
    "__builtins__", "getmembers", "get_referrers", "get_objects", "_getframe", "currentframe",
    "f_globals", "__globals__", "__closure__",
}  # fmt: skip
# Modules whose objects cannot hand back one of the answer's own functions by a key.
LIBRARY_ROOTS = {
    "fastapi", "starlette", "pydantic", "pydantic_settings", "sqlalchemy", "httpx", "typing",
    "typing_extensions", "collections", "functools", "hashlib", "hmac", "secrets", "datetime",
    "enum", "dataclasses", "contextlib", "asyncio", "json", "logging", "uuid", "decimal", "re",
    "math", "time", "os", "pathlib", "abc", "itertools", "base64", "string", "annotated_types",
}  # fmt: skip


class _DependencyReader:
    def __init__(self, tree: ast.Module) -> None:
        self.functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        self.classes: dict[str, list[ast.ClassDef]] = {}
        self.bindings: dict[str, list[ast.expr]] = {}
        self.imported: dict[str, str] = {}  # local name -> the imported name
        self.tree = tree
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.ClassDef):
                self.classes.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.bindings.setdefault(target.id, []).append(node.value)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                if isinstance(node.target, ast.Name):
                    self.bindings.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self.imported[local] = alias.name.rsplit(".", 1)[-1]
            elif type(node).__name__ == "TypeAlias":  # `type X = ...` (Python 3.12)
                name = getattr(node, "name", None)
                if isinstance(name, ast.Name):
                    self.bindings.setdefault(name.id, []).append(node.value)  # type: ignore[attr-defined]
        self.reached: set[str] = set()
        self.unread: list[_Unread] = []
        self._seen: set[tuple[int, frozenset[tuple[str, int]]]] = set()
        self._router_table: tuple[dict, dict] | None = None
        self._scopes: dict[int, int] = {}  # id(node) -> id of the function it is in (0: module)
        self._parent_scopes: dict[int, int] = {}
        self._mark_scopes(tree, 0)

    # --- names ------------------------------------------------------------------------------

    def _original(self, node: ast.expr, depth: int = 0) -> str:
        """The name a callee stands for, through import aliases and `D = Depends` assignments."""
        name = _called_name(node)
        if isinstance(node, ast.Name) and depth < 5:
            if name in self.imported:
                return self.imported[name]
            values = self.bindings.get(name, [])
            if len(values) == 1 and isinstance(values[0], ast.Name | ast.Attribute):
                return self._original(values[0], depth + 1)
        return name

    def _is_marker(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Call) and self._original(node.func) in DEPENDENCY_MARKERS

    def _constant_text(self, node: ast.expr | None, depth: int = 0) -> str | None:
        """A string the code spells out: a literal, a constant's name, `+` or f-strings of them."""
        if node is None or depth > 10:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            values = self.bindings.get(node.id, [])
            return self._constant_text(values[0], depth + 1) if len(values) == 1 else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self._constant_text(node.left, depth + 1)
            right = self._constant_text(node.right, depth + 1)
            return left + right if left is not None and right is not None else None
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                inner = value.value if isinstance(value, ast.FormattedValue) else value
                text = self._constant_text(inner, depth + 1)
                if text is None:
                    return None
                parts.append(text)
            return "".join(parts)
        return None

    # --- routes and routers -----------------------------------------------------------------

    def routes(
        self, method: str, path: str
    ) -> list[tuple[list[tuple[ast.expr, Env]], list[_Unread]]]:
        """For each declaration of ``method path``: where its dependencies start, and what the
        reading could not follow on the way to it."""
        found = []
        for receiver, verb_call, endpoint in self._declarations():
            verb = verb_call.func.attr if isinstance(verb_call.func, ast.Attribute) else ""
            if verb in HTTP_METHODS:
                methods = [verb.upper()]
            elif verb in ("api_route", "add_api_route"):
                methods = _methods_keyword(verb_call) or ["GET"]
            else:
                continue
            if method not in methods:
                continue
            own_path = self._constant_text(
                verb_call.args[0] if verb_call.args else _keyword(verb_call, "path")
            )
            if own_path is None:
                continue
            for prefix, chain_dependencies in self._placements(receiver):
                if prefix + own_path != path:
                    continue
                self.unread = []
                listed = [*chain_dependencies, _keyword(verb_call, "dependencies")]
                starts: list[tuple[ast.expr, Env]] = [
                    (marker, {}) for each in listed for marker in self._listed(each)
                ]
                starts.append((endpoint, {}))
                found.append((starts, self.unread))
        return found

    def _declarations(self) -> list[tuple[RouterKey | None, ast.Call, ast.expr]]:
        """(router, the call that declares the route, the endpoint) for every route."""
        declared = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    call = self._route_call(decorator)
                    if call is not None:
                        assert isinstance(call.func, ast.Attribute)
                        # Where `router.get` is written: at the decorator, or at its alias.
                        router = self._router_key(call.func.value, self._scope_of(call.func))
                        declared.append((router, call, ast.Name(id=node.name)))
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_api_route"
            ):
                endpoint = node.args[1] if len(node.args) > 1 else _keyword(node, "endpoint")
                if endpoint is not None:
                    router = self._router_key(node.func.value, self._scope_of(node))
                    declared.append((router, node, endpoint))
        return declared

    def _route_call(self, decorator: ast.expr) -> ast.Call | None:
        """`@router.get(...)`, or `get = router.get` then `@get(...)`, as `router.get(...)`."""
        if not isinstance(decorator, ast.Call):
            return None
        if isinstance(decorator.func, ast.Attribute):
            return decorator
        if isinstance(decorator.func, ast.Name):
            values = self.bindings.get(decorator.func.id, [])
            if len(values) == 1 and isinstance(values[0], ast.Attribute):
                return ast.Call(func=values[0], args=decorator.args, keywords=decorator.keywords)
        return None

    # Names are looked up as Python does: in the function that uses them, then outwards.

    def _scope_of(self, node: ast.AST) -> int:
        return self._scopes.get(id(node), 0)

    def _mark_scopes(self, node: ast.AST, scope: int) -> None:
        for child in ast.iter_child_nodes(node):
            self._scopes[id(child)] = scope
            inner = scope
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                inner = id(child)
                self._parent_scopes[inner] = scope
            self._mark_scopes(child, inner)

    def _router_key(self, node: ast.expr, scope: int) -> RouterKey | None:
        if isinstance(node, ast.Attribute) and node.attr == "router":  # app.router is the app's
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        routers = self._router_table_or_build()[0]
        while True:
            if (scope, node.id) in routers:
                return (scope, node.id)
            if scope == 0:
                return None
            scope = self._parent_scopes.get(scope, 0)

    def _router_table_or_build(self) -> tuple[dict, dict]:
        if self._router_table is None:
            self._router_table = (self._routers(), {})
            self._router_table = (self._router_table[0], self._inclusions())
        return self._router_table

    def _routers(self) -> dict[RouterKey, tuple[str | None, ast.expr | None, bool]]:
        """Each router (and app), by where it is bound: its prefix (None: not spelled out), its
        `dependencies=`, and whether it is an app."""
        routers = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            else:
                continue
            if not (isinstance(value, ast.Call) and self._original(value.func) in ROUTER_CLASSES):
                continue
            prefix = _keyword(value, "prefix")
            described = (
                self._constant_text(prefix) if prefix is not None else "",
                _keyword(value, "dependencies"),
                self._original(value.func) == "FastAPI",
            )
            for target in targets:
                if isinstance(target, ast.Name):
                    routers[(self._scope_of(node), target.id)] = described
        return routers

    def _inclusions(self) -> dict[RouterKey, list[tuple[RouterKey, str | None, ast.expr | None]]]:
        """child router -> (parent, the prefix and dependencies `include_router` adds)."""
        parents: dict[RouterKey, list[tuple[RouterKey, str | None, ast.expr | None]]] = {}
        for node in ast.walk(self.tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "include_router"
                and node.args
            ):
                continue
            scope = self._scope_of(node)
            parent = self._router_key(node.func.value, scope)
            if parent is None:
                continue
            prefix = _keyword(node, "prefix")
            added = self._constant_text(prefix) if prefix is not None else ""
            for child in self._routers_given(node.args[0], scope, 0):
                parents.setdefault(child, []).append(
                    (parent, added, _keyword(node, "dependencies"))
                )
        return parents

    def _routers_given(self, node: ast.expr, scope: int, depth: int) -> list[RouterKey]:
        """A router given to include_router: by name, or made and returned by a function."""
        if depth > 10:
            return []
        if isinstance(node, ast.Name):
            key = self._router_key(node, scope)
            if key is not None:
                return [key]
            return [
                found
                for value in self.bindings.get(node.id, [])
                for found in self._routers_given(value, self._scope_of(value), depth + 1)
            ]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return [
                found
                for function in self.functions.get(node.func.id, [])
                for returned in _returns(function)
                for found in self._routers_given(returned, id(function), depth + 1)
            ]
        return []

    def _placements(self, router: RouterKey | None) -> list[tuple[str, list[ast.expr | None]]]:
        """Every (full prefix, `dependencies=` on the way) under which ``router`` is served.

        A prefix the code does not spell out places nothing: such a route is not found.
        """
        routers, parents = self._router_table_or_build()

        def walk(
            key: RouterKey, visiting: frozenset[RouterKey]
        ) -> list[tuple[str, list[ast.expr | None]]]:
            if key not in routers or key in visiting:
                return []
            own_prefix, own_dependencies, is_app = routers[key]
            if own_prefix is None:
                return []
            if is_app:
                return [(own_prefix, [own_dependencies])]
            placed = []
            for parent, added, included_dependencies in parents.get(key, []):
                if added is None:
                    continue
                for prefix, dependencies in walk(parent, visiting | {key}):
                    placed.append(
                        (
                            prefix + added + own_prefix,
                            [*dependencies, included_dependencies, own_dependencies],
                        )
                    )
            return placed

        return walk(router, frozenset()) if router is not None else []

    def _listed(self, listed: ast.expr | None, depth: int = 0) -> list[ast.expr]:
        """The markers in a `dependencies=` value: a list, a tuple, a name for one, or `+`."""
        if listed is None or depth > 10:
            return []
        if isinstance(listed, ast.Name):
            return [m for v in self.bindings.get(listed.id, []) for m in self._listed(v, depth + 1)]
        if isinstance(listed, ast.BinOp) and isinstance(listed.op, ast.Add):
            return self._listed(listed.left, depth + 1) + self._listed(listed.right, depth + 1)
        if isinstance(listed, ast.List | ast.Tuple):
            found: list[ast.expr] = []
            for item in listed.elts:
                if isinstance(item, ast.Starred):
                    found += self._listed(item.value, depth + 1)
                else:
                    found.append(item)
            return found
        self._cannot_follow(f"`dependencies={_source_of(listed)}`", listed, {})
        return []

    # --- following dependencies -------------------------------------------------------------

    def reach(self, starts: list[tuple[ast.expr, Env]], unread: list[_Unread]) -> RouteReading:
        """Everything reached from a route's endpoint and its listed markers."""
        self.reached, self.unread, self._seen = set(), list(unread), set()
        endpoint, env = starts[-1]
        for marker, marker_env in starts[:-1]:
            self._marker_or_helper(marker, None, marker_env, 0)
        self._callable(endpoint, env, 0, record=False)
        reading = RouteReading(
            frozenset(self.reached),
            tuple(item.text for item in self.unread),
            self._could_reach(self.unread) if self.unread else frozenset(),
        )
        self.unread = []
        return reading

    def _cannot_follow(self, text: str, node: ast.AST | None, env: Env) -> None:
        self.unread.append(_Unread(text, node, env))

    # --- what an unread part could stand for ------------------------------------------------

    def _could_reach(self, unread: list[_Unread]) -> frozenset[str] | None:
        """Every name the unread parts refer to, through definitions, bindings, what is stored
        into them and whoever hands them a value; None where that could be anything."""
        if self._module_looks_up_names():
            return None
        pending: list[ast.AST] = []
        for item in unread:
            if item.node is None:
                return None
            pending.append(item.node)
            pending += _env_values(item.env)
        names: set[str] = set()
        while pending:
            for node in ast.walk(pending.pop()):
                if isinstance(node, ast.Name):
                    name = node.id
                elif isinstance(node, ast.Attribute):
                    name = node.attr
                else:
                    continue
                if name in names:
                    continue
                if name in RUN_TIME_LOOKUPS or name in self._foreign_imports():
                    return None
                names.add(name)
                pending += self.functions.get(name, [])
                pending += self.classes.get(name, [])
                pending += self.bindings.get(name, [])
                pending += self._stores_into().get(name, [])
        return frozenset(names)

    def _module_looks_up_names(self) -> bool:
        """Whether the code writes globals by a name made at run time (`globals()[...] = ...`,
        `exec`, `setattr` on the module): then no name is settled by reading."""
        writers = {"globals", "vars", "exec", "eval", "compile"}
        return any(
            (isinstance(node, ast.Name) and node.id in writers)
            or (isinstance(node, ast.Attribute) and node.attr in {"modules", "__dict__"})
            for node in ast.walk(self.tree)
        )

    def _foreign_imports(self) -> set[str]:
        """Names imported from anything but a library: the answer's own modules (a package),
        whose objects the reading does not see."""
        if not hasattr(self, "_foreign"):
            foreign = set()
            for node in ast.walk(self.tree):
                if isinstance(node, ast.ImportFrom):
                    root = (node.module or "").split(".")[0]
                    if node.level or root not in LIBRARY_ROOTS:
                        foreign |= {alias.asname or alias.name for alias in node.names}
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.name.split(".")[0] not in LIBRARY_ROOTS:
                            foreign.add(alias.asname or alias.name.split(".")[0])
            self._foreign = foreign
        return self._foreign

    def _stores_into(self) -> dict[str, list[ast.AST]]:
        """name -> what the code puts into it after binding it: `NAME[k] = v`, `NAME.x = v`,
        `NAME |= v`, `NAME.update(v)`, any call handed NAME (`register(NAME, v)`); and where that
        happens in a function, whoever calls or decorates with that function (and so on out)."""
        if hasattr(self, "_stores"):
            return self._stores
        users = self._users_of_functions()
        stores: dict[str, list[ast.AST]] = {}
        for node in ast.walk(self.tree):
            targets: list[tuple[str, ast.AST]] = []
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                value = node.value
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    base = _stored_base(target, top=isinstance(node, ast.AugAssign))
                    if base is not None and value is not None:
                        targets.append((base, value))
                    if isinstance(target, ast.Tuple | ast.List) and value is not None:
                        targets += [(name, value) for name in _names_in(target)]
            elif isinstance(node, ast.NamedExpr):
                targets.append((node.target.id, node.value))
            elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                targets += [(name, node.iter) for name in _names_in(node.target)]
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                targets += [(name, node.context_expr) for name in _names_in(node.optional_vars)]
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                # A parameter holds whatever its callers hand in.
                arguments = node.args
                every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
                every += [each for each in (arguments.vararg, arguments.kwarg) if each]
                defaults = [d for d in (*arguments.defaults, *arguments.kw_defaults) if d]
                name = getattr(node, "name", None)
                handed = users.get(name, []) if name else []
                for argument in every:
                    targets += [(argument.arg, value) for value in (*handed, *defaults)]
            elif isinstance(node, ast.Call):
                handed = [*node.args, *(keyword.value for keyword in node.keywords)]
                if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
                    targets.append((node.func.value.id, node))  # NAME.update(...), .append(...)
                for argument in handed:
                    if isinstance(argument, ast.Name):
                        targets.append((argument.id, node))
            for base, value in targets:
                stores.setdefault(base, []).append(value)
                stores[base] += self._callers_outwards(node, users)
        self._stores = stores
        return stores

    def _users_of_functions(self) -> dict[str, list[ast.AST]]:
        """function name -> every call of it, and the functions it decorates (by name)."""
        users: dict[str, list[ast.AST]] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                users.setdefault(node.func.id, []).append(node)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                for decorator in node.decorator_list:
                    called = decorator.func if isinstance(decorator, ast.Call) else decorator
                    if isinstance(called, ast.Name):
                        users.setdefault(called.id, []).append(ast.Name(id=node.name))
        return users

    def _callers_outwards(self, node: ast.AST, users: dict[str, list[ast.AST]]) -> list[ast.AST]:
        """Where ``node`` sits in a function: every use of that function, and of the functions
        those uses sit in, out to the module (a store done by a helper is done by its caller)."""
        functions = {
            id(function): function for found in self.functions.values() for function in found
        }
        found: list[ast.AST] = []
        pending, seen = [self._scope_of(node)], set()
        while pending:
            scope = pending.pop()
            if scope in seen or scope not in functions:
                continue
            seen.add(scope)
            for use in users.get(functions[scope].name, []):
                found.append(use)
                pending.append(self._scope_of(use))
        return found

    def _callable(self, node: ast.expr, env: Env, depth: int, record: bool = True) -> None:
        """Follow what calling ``node`` as a dependency asks for."""
        if depth > MAX_FOLLOW_DEPTH:
            self._cannot_follow(f"`{_source_of(node)}` (too deep to follow)", None, env)
            return
        key = (id(node), frozenset((name, id(value)) for name, (value, _) in env.items()))
        if key in self._seen:
            return
        self._seen.add(key)
        depth += 1
        if isinstance(node, ast.Name):
            name = node.id
            if name in env:
                value, value_env = env[name]
                self._callable(value, value_env, depth)
                return
            if record:
                self.reached.add(name)
            if name in self.functions:
                for function in self.functions[name]:
                    self._parameters(function.args, {}, depth)
            elif name in self.classes:
                self._constructed(name, depth)
            elif name in self.bindings:
                for value in self.bindings[name]:
                    self._callable(value, {}, depth)
            elif name not in self.imported:
                self._cannot_follow(f"`{name}` (not defined in the code)", node, env)
            return  # an imported callable is a library's: it asks for none of the answer's
        if isinstance(node, ast.Attribute):
            if record:
                self.reached.add(node.attr)
            if node.attr in self.functions:  # a method, or a function of a namespace class
                for function in self.functions[node.attr]:
                    self._parameters(function.args, {}, depth)
            elif not (isinstance(node.value, ast.Name) and node.value.id in self.imported):
                self._cannot_follow(f"`{_source_of(node)}`", node, env)
            return
        if isinstance(node, ast.Lambda):
            self._parameters(node.args, env, depth)
            return
        if isinstance(node, ast.Call):
            self._made_by_call(node, env, depth, record)
            return
        self._cannot_follow(f"`{_source_of(node)}`", node, env)

    def _made_by_call(self, call: ast.Call, env: Env, depth: int, record: bool) -> None:
        """A dependency that is what a call returns: a factory's function, a class's instance."""
        callee = self._original(call.func)
        if callee == "partial" and call.args:
            self._callable(call.args[0], env, depth)
            return
        if isinstance(call.func, ast.Name) and call.func.id in env:
            self._cannot_follow(f"`{_source_of(call)}`", call, env)
            return
        if callee in self.classes and isinstance(call.func, ast.Name):
            if record:
                self.reached.add(callee)
            methods = self._methods(callee, "__call__")
            if methods:
                for method in methods:
                    self._parameters(method.args, {}, depth)
            elif not self._has_outside_bases(callee):
                self._cannot_follow(
                    f"`{_source_of(call)}` (its class has no `__call__`)", call, env
                )
            return
        if callee in self.functions and isinstance(call.func, ast.Name):
            if record:
                self.reached.add(callee)
            for function in self.functions[callee]:
                returned = _returns(function)
                if not returned:
                    self._cannot_follow(
                        f"`{_source_of(call)}` (`{callee}` returns nothing)", call, env
                    )
                inner_env = _bind(function, call, env)
                nested = {
                    s.name: s
                    for s in function.body
                    if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
                }
                for value in returned:
                    if isinstance(value, ast.Name) and value.id in nested:
                        # The function this factory makes, read where it is made: its
                        # parameters may name the factory's arguments (`Depends(dependency)`).
                        if record:
                            self.reached.add(value.id)
                        self._parameters(nested[value.id].args, inner_env, depth)
                    else:
                        self._callable(value, inner_env, depth)
            return
        if isinstance(call.func, ast.Name) and call.func.id in self.imported:
            return  # a library's object (`HTTPBearer()`, `OAuth2PasswordBearer(...)`)
        self._cannot_follow(f"`{_source_of(call)}`", call, env)

    def _constructed(self, name: str, depth: int) -> None:
        """A class used as a dependency: FastAPI calls it, so its `__init__` (or fields)."""
        inits = self._methods(name, "__init__")
        if inits:
            for init in inits:
                self._parameters(init.args, {}, depth)
            return
        for cls in self._lineage(name):
            fields = [
                (s.target, s.annotation, s.value)
                for s in cls.body
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
            ]
            for _, annotation, default in fields:
                self._parameter(annotation, default, {}, depth)

    def _lineage(self, name: str) -> list[ast.ClassDef]:
        found, pending, seen = [], [name], set()
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            for cls in self.classes.get(current, []):
                found.append(cls)
                pending += [_called_name(base) for base in cls.bases if _called_name(base)]
        return found

    def _methods(self, name: str, method: str) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        for cls in self._lineage(name):  # the nearest class that defines it
            found = [
                s
                for s in cls.body
                if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name == method
            ]
            if found:
                return found
        return []

    def _has_outside_bases(self, name: str) -> bool:
        return any(
            _called_name(base) not in self.classes
            for cls in self._lineage(name)
            for base in cls.bases
        )

    def _parameters(self, arguments: ast.arguments, env: Env, depth: int) -> None:
        positional = [*arguments.posonlyargs, *arguments.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
        defaults += list(arguments.defaults)
        pairs = list(zip(positional, defaults, strict=True))
        pairs += list(zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True))
        for argument, default in pairs:
            self._parameter(argument.annotation, default, env, depth)

    def _parameter(
        self, annotation: ast.expr | None, default: ast.expr | None, env: Env, depth: int
    ) -> None:
        base, marker, marker_env = self._annotated(annotation, env, 0)
        if default is not None and self._marker_or_helper(default, base, env, depth):
            return
        if marker is not None:
            self._marker_or_helper(marker, base, marker_env, depth)

    def _annotated(
        self, annotation: ast.expr | None, env: Env, depth: int
    ) -> tuple[ast.expr | None, ast.expr | None, Env]:
        """(the type, the last FastAPI marker in its `Annotated`, where that marker is read)."""
        if annotation is None or depth > 10:
            return annotation, None, env
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                parsed = ast.parse(annotation.value, mode="eval").body
            except SyntaxError:
                return annotation, None, env
            return self._annotated(parsed, env, depth + 1)
        if isinstance(annotation, ast.Name):
            values = self.bindings.get(annotation.id, [])
            if len(values) == 1 and isinstance(values[0], ast.Subscript | ast.Name):
                return self._annotated(values[0], {}, depth + 1)
            return annotation, None, env
        if (
            isinstance(annotation, ast.Subscript)
            and self._original(annotation.value) == "Annotated"
            and isinstance(annotation.slice, ast.Tuple)
            and annotation.slice.elts
        ):
            kind, *extras = annotation.slice.elts
            base, marker, marker_env = self._annotated(kind, env, depth + 1)
            for extra in extras:  # nested Annotated flattens; FastAPI takes the last marker
                if isinstance(extra, ast.Call) and (
                    self._original(extra.func) in FASTAPI_PARAMETERS or self._returns_marker(extra)
                ):
                    marker, marker_env = extra, env
            return base, marker, marker_env
        return annotation, None, env

    def _returns_marker(self, call: ast.Call) -> bool:
        return isinstance(call.func, ast.Name) and any(
            self._is_marker(value)
            for function in self.functions.get(call.func.id, [])
            for value in _returns(function)
        )

    def _marker_or_helper(
        self, node: ast.expr, base: ast.expr | None, env: Env, depth: int
    ) -> bool:
        """Follow ``node`` if it is `Depends(...)`/`Security(...)` or a helper returning one."""
        if not isinstance(node, ast.Call):
            return False
        if self._is_marker(node):
            given = node.args[0] if node.args else _keyword(node, "dependency")
            if given is None:
                if base is None:
                    self._cannot_follow(f"`{_source_of(node)}` without a type to call", node, env)
                else:
                    self._callable(base, env, depth)
            else:
                self._callable(given, env, depth)
            return True
        if self._returns_marker(node):
            assert isinstance(node.func, ast.Name)
            for function in self.functions[node.func.id]:
                inner_env = _bind(function, node, env)
                for value in _returns(function):
                    self._marker_or_helper(value, base, inner_env, depth + 1)
            return True
        return False


# --- looking at what the checks swapped in ------------------------------------------------------
#
# A check that overrides a dependency sees what the app then answers, but the app runs that
# replacement in its own process: code that reads `app.dependency_overrides`, a function's
# closure, the frames that called it or the garbage collector's objects can find what the
# replacement would return and answer with it from a route that never asked for the dependency.
# No app needs any of these to serve, so an override row refuses them where they are spelled
# (after `plain_spelling`: aliases and constant `getattr` read plainly). No linter has this rule.

INTROSPECTION_NAMES = {
    "dependency_overrides", "dependency_overrides_provider", "__closure__", "cell_contents",
    "__code__", "__globals__", "__defaults__", "__kwdefaults__", "f_locals", "f_globals",
    "f_back", "_getframe", "currentframe", "get_objects", "get_referrers", "get_referents",
    "solve_dependencies", "get_dependant", "__traceback__", "tb_frame", "tb_next", "cr_frame",
    "gi_frame", "ag_frame", "__dict__", "__getattribute__", "__reduce__", "__reduce_ex__",
}  # fmt: skip
INTROSPECTION_CALLS = {"exec", "eval", "compile", "__import__", "dir", "vars", "globals", "locals"}
INTROSPECTION_MODULES = {"gc", "inspect", "ctypes", "traceback", "importlib", "builtins"}


def override_introspection(source: str) -> list[tuple[int, str]]:
    """(line, spelling) for each place the code reads what a check swapped in, or who called
    it (see above); code that does not parse has none (the app does not load either)."""
    try:
        tree = plain_spelling(ast.parse(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found = []
    for node in ast.walk(tree):
        spelling = None
        if isinstance(node, ast.Attribute) and node.attr in INTROSPECTION_NAMES:
            spelling = node.attr
        elif isinstance(node, ast.Name) and node.id in INTROSPECTION_NAMES:
            spelling = node.id
        elif isinstance(node, ast.Constant) and node.value in INTROSPECTION_NAMES:
            spelling = str(node.value)  # a key of `vars(...)`, a name handed to a helper
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in INTROSPECTION_CALLS
        ):
            spelling = f"{node.func.id}(...)"
        elif isinstance(node, ast.Import | ast.ImportFrom):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            modules += [] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            hit = [m for m in modules if m.split(".")[0] in INTROSPECTION_MODULES]
            spelling = f"import {hit[0]}" if hit else None
        if spelling is not None:
            found.append((getattr(node, "lineno", 0), spelling))
    return sorted(set(found))


# --- SQL text put together at run time -----------------------------------------------------------
#
# ruff's S608 sees values pasted into SQL by f-strings, `%`, `+` and `.format`, not by
# `"".join(...)` or a helper, and a paste with the quotes doubled answers every test value as
# bound parameters would. The text of a statement is written in the code; values travel beside
# it. So the text handed to `text()`, `literal_column()`, `exec_driver_sql()` (and a string
# handed to `.execute()`) must be written out: a literal, or one put together from literals
# only (read after `plain_spelling`, which folds those and aliases).

SQL_TEXT_CALLS = {"text", "literal_column", "exec_driver_sql", "executescript"}
SQL_EXECUTE_METHODS = {"execute", "executemany"}


def sql_text_built_at_run_time(source: str) -> list[tuple[int, str]]:
    """(line, the call) for each SQL text the code puts together from something not written in
    the code; code that does not parse has none."""
    try:
        tree = plain_spelling(ast.parse(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    built: dict[str, ast.expr] = {}  # names bound to a string put together at run time
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and _assembled_at_run_time(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            built |= {t.id: node.value for t in targets if isinstance(t, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        called, first = _called_name(node.func), node.args[0]
        if called in SQL_TEXT_CALLS:
            written = isinstance(first, ast.Constant) and isinstance(first.value, str)
        elif called in SQL_EXECUTE_METHODS and isinstance(node.func, ast.Attribute):
            named = isinstance(first, ast.Name) and first.id in built
            written = not (_assembled_at_run_time(first) or named)
        else:
            continue
        if not written:
            found.append((node.lineno, _source_of(node)))
    return found


def _assembled_at_run_time(node: ast.expr | None) -> bool:
    """A string made by formatting, `+`, `%`, `.format()` or `.join()` (what is left of one
    after folding holds something not written in the code)."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return True
    return isinstance(node, ast.Call) and _called_name(node.func) in {"format", "join"}


def _env_values(env: Env, depth: int = 0) -> list[ast.AST]:
    """What a factory's parameters were bound to, and what those were bound to in turn."""
    if depth > 10:
        return []
    found: list[ast.AST] = []
    for value, outer in env.values():
        found.append(value)
        found += _env_values(outer, depth + 1)
    return found


def _names_in(target: ast.expr) -> list[str]:
    return [node.id for node in ast.walk(target) if isinstance(node, ast.Name)]


def _stored_base(target: ast.expr, top: bool) -> str | None:
    """The name a store writes into: `NAME[k]`, `NAME.x`, `NAME[k].y`; `NAME` itself only for
    `NAME |= ...` (a plain `NAME = ...` is a binding, read as one)."""
    if isinstance(target, ast.Name):
        return target.id if top else None
    while isinstance(target, ast.Subscript | ast.Attribute | ast.Starred):
        target = target.value
        if isinstance(target, ast.Name):
            return target.id
    return None


def _returns(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
    """What ``function`` itself returns (not its nested functions)."""
    found: list[ast.expr] = []
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Return) and node.value is not None:
            found.append(node.value)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            pending.extend(ast.iter_child_nodes(node))
    return found


def _bind(function: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call, env: Env) -> Env:
    """The factory's parameters bound to the call's arguments (as written at the call)."""
    names = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    bound: Env = {}
    for name, value in zip(names, call.args, strict=False):
        bound[name] = (value, env)
    for keyword in call.keywords:
        if keyword.arg is not None:
            bound[keyword.arg] = (keyword.value, env)
    return bound
