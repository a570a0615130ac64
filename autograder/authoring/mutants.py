"""Mutants of an exercise's reference: small wrong edits a mutation tool would make, each one
answer the hidden checks must reject (or a reviewed file must explain).

Why these operators are written here rather than taken from mutmut: mutmut 3 mutates only code
inside functions (its README sends whoever needs more to mutmut 2), through trampolines it
switches at run time in the process pytest imports the code into; its one function that
returns mutants of a source text (``mutmut.file_mutation.create_mutations``) is internal, not
an API it keeps, and has none of this stack's operators (``await`` removed, a dependency
swapped for a default, a decorator's keyword removed). Most of what the lessons teach is
outside function bodies (route decorators' keywords, ``Field`` constraints on class
attributes, ``Annotated[..., Depends(...)]`` aliases, the app's construction), and an answer
here is a source string run in a process of its own, not a module the test process imports.
So each mutant is made as text: one node of the reference's AST, found by its position,
replaced by its mutated form; the rest of the file stays byte for byte (comments and
formatting included).

Operators (the usual ones of mutation tools, plus the stack's own):

- ``constant``: an int ``n`` -> ``n + 1``, a float doubled, ``True`` <-> ``False``, a string
  wrapped in ``XX``
- ``compare``: ``==`` <-> ``!=``, ``<`` <-> ``<=``, ``>`` <-> ``>=``, ``is`` <-> ``is not``,
  ``in`` <-> ``not in``
- ``arithmetic``: ``+`` <-> ``-``, ``*`` <-> ``/``; ``boolean``: ``and`` <-> ``or``, ``not``
  removed
- ``await removed``, ``async removed`` (``async def``/``with``/``for`` made plain)
- ``statement deleted`` (replaced by ``pass``; imports are left alone)
- ``argument dropped`` (a keyword, or one of several positional arguments),
  ``decorator keyword removed``, ``decorator removed``
- ``dependency swapped for a default``: ``= Depends(f)`` -> ``= None``,
  ``Annotated[T, Depends(f)]`` -> ``T``
"""

from __future__ import annotations

import ast
import copy
from collections import Counter
from dataclasses import dataclass

from autograder.registry import Exercise

DEPENDENCY_MARKERS = {"Depends", "Security"}
COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
ARITHMETIC_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
}
DELETABLE = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Return, ast.Raise,
             ast.Assert, ast.Delete)  # fmt: skip
SHOWN_CHARACTERS = 60


@dataclass(frozen=True)
class Mutant:
    id: str  # "compare: `a < b` -> `a <= b` in limited()", unique within the exercise
    operator: str
    line: int
    source: str


@dataclass(frozen=True)
class _Edit:
    operator: str
    node: ast.AST
    replacement: str
    scope: str


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SHOWN_CHARACTERS else flat[: SHOWN_CHARACTERS - 1] + "…"


class _Offsets:
    """ast positions (1-based lines, UTF-8 byte columns) as offsets into the text."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def at(self, line: int, byte_column: int) -> int:
        text = self.lines[line - 1].encode("utf-8")[:byte_column].decode("utf-8")
        return self.starts[line - 1] + len(text)

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (
            self.at(node.lineno, node.col_offset),  # type: ignore[attr-defined]
            self.at(node.end_lineno, node.end_col_offset),  # type: ignore[attr-defined]
        )


def _is_docstring(node: ast.AST, parent: ast.AST | None) -> bool:
    body = getattr(parent, "body", None)
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        and isinstance(body, list)
        and bool(body)
        and body[0] is node
    )


def _call_name(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        func = node.func
        return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    return ""


class _Collector(ast.NodeVisitor):
    def __init__(self) -> None:
        self.edits: list[_Edit] = []
        self.scope: list[str] = []
        self.parents: list[ast.AST] = []
        self.decorators: set[int] = set()
        self.defaults: set[int] = set()
        self.annotations: set[int] = set()  # nodes inside annotations: their strings are types

    def add(self, operator: str, node: ast.AST, replacement: ast.AST | str) -> None:
        text = replacement if isinstance(replacement, str) else ast.unparse(replacement)
        where = ".".join(self.scope) + "()" if self.scope else "module"
        self.edits.append(_Edit(operator, node, text, where))

    def generic_visit(self, node: ast.AST) -> None:
        self.parents.append(node)
        super().generic_visit(node)
        self.parents.pop()

    @property
    def parent(self) -> ast.AST | None:
        return self.parents[-1] if self.parents else None

    # --- definitions --------------------------------------------------------------------------

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.decorators.update(id(d) for d in node.decorator_list)
        for decorator in node.decorator_list:
            self._drop_decorator(node, decorator)
        arguments = node.args
        for default in [*arguments.defaults, *arguments.kw_defaults]:
            if default is not None:
                self.defaults.add(id(default))
        for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            if argument.annotation is not None:
                self._mark_annotation(argument.annotation)
        if node.returns is not None:
            self._mark_annotation(node.returns)
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._async_removed(node)
        self._function(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.decorators.update(id(d) for d in node.decorator_list)
        for decorator in node.decorator_list:
            self._drop_decorator(node, decorator)
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._mark_annotation(node.annotation)
        self._statement(node)
        self.generic_visit(node)

    def _mark_annotation(self, annotation: ast.AST) -> None:
        """Strings in an annotation are types (forward references): left alone, except inside
        calls (``Field(pattern=...)`` in ``Annotated[...]``), whose strings are values."""
        if isinstance(annotation, ast.Call):
            return
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            self.annotations.add(id(annotation))
        for child in ast.iter_child_nodes(annotation):
            self._mark_annotation(child)

    def _drop_decorator(self, owner: ast.AST, decorator: ast.expr) -> None:
        # The decorator's own line(s), with the `@`, become empty: the code below keeps its place.
        self.edits.append(
            _Edit("decorator removed", decorator, "\0DROP_DECORATOR\0", self._where(owner))
        )

    def _where(self, owner: ast.AST) -> str:
        name = getattr(owner, "name", "")
        return ".".join([*self.scope, name]) + "()" if name else "module"

    def _async_removed(self, node: ast.AST) -> None:
        where = ".".join(self.scope) + "()" if self.scope else "module"
        self.edits.append(_Edit("async removed", node, "\0DROP_ASYNC\0", where))

    # --- statements ---------------------------------------------------------------------------

    def _statement(self, node: ast.stmt) -> None:
        if _is_docstring(node, self.parent):
            return
        self.add("statement deleted", node, "pass")

    def visit_Assign(self, node: ast.Assign) -> None:
        self._statement(node)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._statement(node)
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        if _is_docstring(node, self.parent):
            return  # a docstring's text is no behaviour (FastAPI's description is, via summary)
        self._statement(node)
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        self._statement(node)
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        self._statement(node)
        self.generic_visit(node)

    def visit_Assert(self, node: ast.Assert) -> None:
        self._statement(node)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        self._statement(node)
        self.generic_visit(node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        self._async_removed(node)
        self.generic_visit(node)

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self._async_removed(node)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        return  # a missing import only raises NameError: it teaches the checks nothing

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        return

    # --- expressions --------------------------------------------------------------------------

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool):
            self.add("constant", node, ast.Constant(not value))
        elif isinstance(value, int):
            self.add("constant", node, ast.Constant(value + 1))
        elif isinstance(value, float):
            self.add("constant", node, ast.Constant(value * 2 if value else 1.0))
        elif (
            isinstance(value, str)
            and value
            and id(node) not in self.annotations
            and not isinstance(self.parent, ast.JoinedStr)
        ):
            self.add("constant", node, ast.Constant(f"XX{value}XX"))

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self.parents.append(node)
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                self.visit(value)
        self.parents.pop()

    def visit_Compare(self, node: ast.Compare) -> None:
        for index, operator in enumerate(node.ops):
            swapped = COMPARE_SWAPS.get(type(operator))
            if swapped is not None:
                mutated = copy.deepcopy(node)
                mutated.ops[index] = swapped()
                self.add("compare", node, mutated)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        swapped = ARITHMETIC_SWAPS.get(type(node.op))
        if swapped is not None and not _looks_like_a_type(node):
            mutated = copy.deepcopy(node)
            mutated.op = swapped()
            self.add("arithmetic", node, mutated)
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        mutated = copy.deepcopy(node)
        mutated.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        self.add("boolean", node, mutated)
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            self.add("boolean", node, node.operand)
        self.generic_visit(node)

    def visit_Await(self, node: ast.Await) -> None:
        self.add("await removed", node, node.value)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        in_decorator = id(node) in self.decorators
        for index, keyword in enumerate(node.keywords):
            if keyword.arg is None:
                continue  # **kwargs
            mutated = copy.deepcopy(node)
            del mutated.keywords[index]
            operator = "decorator keyword removed" if in_decorator else "argument dropped"
            self.add(operator, node, mutated)
        if len(node.args) >= 2:
            for index in range(len(node.args)):
                mutated = copy.deepcopy(node)
                del mutated.args[index]
                self.add("argument dropped", node, mutated)
        if _call_name(node) in DEPENDENCY_MARKERS and id(node) in self.defaults:
            self.add("dependency swapped for a default", node, "None")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        name = (
            node.value.id if isinstance(node.value, ast.Name) else getattr(node.value, "attr", "")
        )
        if name == "Annotated" and isinstance(node.slice, ast.Tuple):
            elements = node.slice.elts
            for index, element in enumerate(elements[1:], start=1):
                if _call_name(element) in DEPENDENCY_MARKERS:
                    rest = [e for i, e in enumerate(elements) if i != index]
                    replacement = (
                        rest[0]
                        if len(rest) == 1
                        else ast.Subscript(node.value, ast.Tuple(rest, ast.Load()), ast.Load())
                    )
                    self.add("dependency swapped for a default", node, replacement)
        self.generic_visit(node)


def _looks_like_a_type(node: ast.BinOp) -> bool:
    """``str | None`` is a union, not arithmetic (and ``|`` is not swapped anyway)."""
    return isinstance(node.op, ast.BitOr)


def _apply(source: str, offsets: _Offsets, edit: _Edit) -> str:
    start, end = offsets.span(edit.node)
    if edit.replacement == "\0DROP_DECORATOR\0":
        # From the `@` to the end of the decorator's last line.
        at = source.rindex("@", 0, start)
        line_end = source.find("\n", end)
        return source[:at] + source[(line_end + 1 if line_end != -1 else end) :]
    if edit.replacement == "\0DROP_ASYNC\0":
        if not source.startswith("async", start):
            raise ValueError("an async node does not start with `async`")
        rest = source[start + len("async") :]
        return source[:start] + rest.lstrip(" ")
    return source[:start] + edit.replacement + source[end:]


def _describe(source: str, offsets: _Offsets, edit: _Edit) -> str:
    start, end = offsets.span(edit.node)
    original = _short(source[start:end])
    if edit.operator == "decorator removed":
        return f"{edit.operator}: `@{original}` on {edit.scope}"
    if edit.operator == "async removed":
        return f"{edit.operator}: `{_short(source[start:end].splitlines()[0])}` in {edit.scope}"
    return f"{edit.operator}: `{original}` -> `{_short(edit.replacement)}` in {edit.scope}"


def mutants_of_source(source: str) -> list[Mutant]:
    tree = ast.parse(source)
    collector = _Collector()
    collector.visit(tree)
    offsets = _Offsets(source)
    mutants: list[Mutant] = []
    seen = {source}
    counts: Counter[str] = Counter()
    for edit in sorted(collector.edits, key=lambda e: (e.node.lineno, e.node.col_offset)):  # type: ignore[attr-defined]
        mutated = _apply(source, offsets, edit)
        if mutated in seen:
            continue
        try:
            compile(mutated, "<mutant>", "exec")
        except SyntaxError:
            continue  # e.g. a body left without a statement: not an answer anyone writes
        seen.add(mutated)
        label = _describe(source, offsets, edit)
        counts[label] += 1
        if counts[label] > 1:
            label = f"{label} #{counts[label]}"
        mutants.append(Mutant(label, edit.operator, edit.node.lineno, mutated))  # type: ignore[attr-defined]
    return mutants


def mutants_of(exercise: Exercise) -> list[Mutant]:
    return mutants_of_source(exercise.reference_source())
