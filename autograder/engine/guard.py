"""Answer code keeps to its own app: it may not reach into the grader that runs beside it.

Grading runs an answer and its checks in one fresh process, so code in the answer could patch
the checks (``import autograder...``), pytest, or the interpreter itself before they run. This
review rejects such code before it runs. No linter has a rule for "do not touch the test
harness", so this is the workbook's own AST check.

It is a fence, not a jail: what it stops is every route a notebook user would try (importing
the grader, ``sys.modules``, ``exec`` of built strings, introspection through dunders, killing or
writing into the grading process through ``os``). The process limits in
``autograder.classroom.sandbox`` bound whatever gets past it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

# Modules whose only use inside an exercise would be to reach the grader or the interpreter.
FORBIDDEN_MODULES = frozenset(
    {
        "autograder",
        "solutions",
        "pytest",
        "_pytest",
        "pluggy",
        "hypothesis",
        "blockbuster",
        "sys",
        "builtins",
        "importlib",
        "gc",
        "ctypes",
        "inspect",
        "multiprocessing",
        "subprocess",
        "signal",
        "faulthandler",
        "marshal",
        "pickle",
        "code",
        "codeop",
        "runpy",
        "resource",
        "pty",
    }
)
# Built-ins that run or reach code by name, around any static review.
FORBIDDEN_CALLS = frozenset(
    {"exec", "eval", "compile", "__import__", "globals", "vars", "breakpoint", "open"}
)
# os functions that end, signal or write into the process the checks run in.
FORBIDDEN_OS_ATTRIBUTES = frozenset(
    {
        "_exit",
        "abort",
        "kill",
        "killpg",
        "write",
        "writev",
        "pwrite",
        "fdopen",
        "dup",
        "dup2",
        "open",
        "close",
        "closerange",
        "system",
        "popen",
        "fork",
        "forkpty",
        "execv",
        "execve",
        "execl",
        "execle",
        "execlp",
        "execvp",
        "execvpe",
        "spawnv",
        "spawnl",
        "posix_spawn",
        "chdir",
        "remove",
        "unlink",
        "rmdir",
    }
)
# Attributes that lead from any object to modules, frames or other code.
INTROSPECTION_ATTRIBUTES = frozenset(
    {
        "__globals__",
        "__code__",
        "__closure__",
        "__builtins__",
        "__subclasses__",
        "__mro__",
        "__bases__",
        "__base__",
        "__class__",
        "__dict__",
        "__getattribute__",
        "__setattr__",
        "__delattr__",
        "__loader__",
        "__spec__",
        "__reduce__",
        "__reduce_ex__",
        "__traceback__",
        "tb_frame",
        "f_back",
        "f_globals",
        "f_locals",
        "f_builtins",
        "gi_frame",
        "cr_frame",
        "ag_frame",
    }
)


@dataclass(frozen=True)
class Violation:
    line: int
    what: str


def review_answer(source: str) -> list[Violation]:
    """Every place ``source`` reaches for the grader; empty when it keeps to itself."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # loading the code reports the syntax error with its line
    return sorted(_Visitor().found(tree), key=lambda violation: violation.line)


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.violations: list[Violation] = []
        self.os_names: set[str] = set()
        # Names bound by imports: changing their attributes patches a library for both apps.
        self.imported_names: set[str] = set()

    def found(self, tree: ast.AST) -> list[Violation]:
        self.visit(tree)
        return self.violations

    def _flag(self, node: ast.AST, what: str) -> None:
        self.violations.append(Violation(getattr(node, "lineno", 0), what))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            top = alias.name.split(".")[0]
            if top in FORBIDDEN_MODULES:
                self._flag(node, f"imports {alias.name}")
            if alias.name == "os":
                self.os_names.add(alias.asname or "os")
            self.imported_names.add(alias.asname or top)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        top = (node.module or "").split(".")[0]
        if node.level == 0 and top in FORBIDDEN_MODULES:
            self._flag(node, f"imports from {node.module}")
        if node.module == "os":
            for alias in node.names:
                if alias.name in FORBIDDEN_OS_ATTRIBUTES or alias.name == "*":
                    self._flag(node, f"imports os.{alias.name}")
        self.imported_names.update(alias.asname or alias.name for alias in node.names)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in FORBIDDEN_CALLS or node.id == "__builtins__":
            self._flag(node, f"uses {node.id}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        name = node.attr
        if name in INTROSPECTION_ATTRIBUTES:
            self._flag(node, f"reads the internal attribute {name}")
        if (
            isinstance(node.value, ast.Name)
            and node.value.id in self.os_names
            and name in FORBIDDEN_OS_ATTRIBUTES
        ):
            self._flag(node, f"calls os.{name}")
        if isinstance(node.ctx, ast.Store | ast.Del) and _root_name(node) in self.imported_names:
            self._flag(node, f"changes {ast.unparse(node)}, which belongs to an imported library")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        # getattr/setattr with a name built at run time hides what is reached.
        if (
            isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "setattr", "delattr"}
            and len(node.args) >= 2
            and not (isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str))
        ):
            self._flag(node, f"calls {node.func.id} with a computed name")
        elif (
            isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "setattr", "delattr"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in INTROSPECTION_ATTRIBUTES
        ):
            self._flag(node, f"calls {node.func.id} on {node.args[1].value}")
        elif (
            isinstance(node.func, ast.Name)
            and node.func.id in {"setattr", "delattr"}
            and node.args
            and _root_name(node.args[0]) in self.imported_names
        ):
            self._flag(node, f"changes {ast.unparse(node.args[0])}, which belongs to a library")
        self.generic_visit(node)


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None
