"""Which imported name an expression refers to: the per-file name resolution rules ask.

Deliberately simple and flow-insensitive: a local name bound by imports to one module or object
is resolved; a name imported as two different things, or rebound by assignment, def or class, is
not, so rules stay silent where the file alone does not say what a name is. It answers from the
bindings seen so far in the walk, as the rules ask during it.
"""

from __future__ import annotations

import ast

_AMBIGUOUS = ""


def dotted_name(node: ast.AST) -> str | None:
    """`a.b.c` for a chain of names and attributes (`super().m` too), else None."""
    kind = type(node)
    if kind is ast.Name:  # most calls: every rule asks about plain names
        return node.id
    if kind is not ast.Attribute:
        return None
    value = node.value
    if type(value) is ast.Name:  # `torch.nn`, `self.model`: most attributes
        return f"{value.id}.{node.attr}"
    parts: list[str] = []
    while type(node) is ast.Attribute:
        parts.append(node.attr)
        node = node.value
    if type(node) is ast.Call and type(node.func) is ast.Name and node.func.id == "super":
        parts.append("super()")
        return ".".join(reversed(parts))
    if type(node) is not ast.Name:
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


class ImportNames:
    """A visitor of the shared walk; rules ask it through `NodeRule.qualified_name`."""

    def __init__(self) -> None:
        self._bound: dict[str, str] = {}
        self._rebound: set[str] = set()
        # Every rule asks about the same calls: each answer is kept, with the count of bindings
        # seen when it was given (a later import or rebinding can change it).
        self._answers: dict[int, tuple[int, str | None]] = {}
        self._changes = 0

    def imports(self, package: str) -> bool:
        """Whether the file imports `package` or something from it (a copy inside another
        package, `LLMPruner.torch_pruning`, counts)."""
        return any(
            q == package or q.startswith(package + ".") or f".{package}." in f".{q}."
            for q in self._bound.values()
        )

    def _bind(self, name: str, qualified: str) -> None:
        previous = self._bound.get(name)
        self._bound[name] = qualified if previous in (None, qualified) else _AMBIGUOUS
        self._changes += 1

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname is not None:
                self._bind(alias.asname, alias.name)
            else:
                head = alias.name.split(".", 1)[0]
                self._bind(head, head)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or node.module is None or node.names[0].name == "*":
            return
        for alias in node.names:
            self._bind(alias.asname or alias.name, f"{node.module}.{alias.name}")

    # Anything else that binds a name makes it unclear what the name is.
    def _rebind(self, target: ast.AST) -> None:
        if type(target) is ast.Name:
            self._rebound.add(target.id)
            self._changes += 1
        elif type(target) in (ast.Tuple, ast.List):
            for element in target.elts:
                self._rebind(element)
        elif type(target) is ast.Starred:
            self._rebind(target.value)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._rebind(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._rebind(node.target)

    def _rebind_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self._rebound.add(node.name)
        self._changes += 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _rebind_def

    def qualified(self, expr: ast.AST) -> str | None:
        answer = self._answers.get(id(expr))  # the tree outlives this table: ids are not reused
        if answer is not None and answer[0] == self._changes:
            return answer[1]
        result = self._qualified(expr)
        self._answers[id(expr)] = (self._changes, result)
        return result

    def _qualified(self, expr: ast.AST) -> str | None:
        dotted = dotted_name(expr)
        return None if dotted is None else self.qualified_dotted(dotted)

    def qualified_dotted(self, dotted: str) -> str | None:
        """`qualified` of an expression written as the dotted name `dotted`."""
        head, _, rest = dotted.partition(".")
        if head in self._rebound:
            return None
        base = self._bound.get(head)
        if not base:
            return None
        return f"{base}.{rest}" if rest else base
