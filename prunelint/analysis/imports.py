"""Which imported name an expression refers to, for third-party rules written over libcst
(`CstRule.qualified_name`); the built-in rules ask `prunelint.model.names`.

Deliberately simple and flow-insensitive: a local name bound by imports to one module or object
is resolved; a name imported as two different things, or rebound by assignment, def or class, is
not, so rules stay silent where the file alone does not say what a name is.
"""

from __future__ import annotations

import libcst as cst

_AMBIGUOUS = ""


def dotted_name(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a chain of names and attributes, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


class ImportNames(cst.BatchableCSTVisitor):
    """Runs first in the shared pass; rules ask it through `CstRule.qualified_name`."""

    def __init__(self) -> None:
        super().__init__()
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

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted_name(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind(alias.asname.name.value, full)
            else:
                head = full.split(".", 1)[0]
                self._bind(head, head)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return
        module = dotted_name(node.module) or ""
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            bound = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                bound = alias.asname.name.value
            self._bind(bound, f"{module}.{name}")

    # Anything else that binds a name makes it unclear what the name is.
    def _rebind(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self._rebound.add(target.value)
            self._changes += 1
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._rebind(element.value)
        elif isinstance(target, cst.StarredElement):
            self._rebind(target.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._rebind(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._rebind(node.target)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._rebound.add(node.name.value)
        self._changes += 1

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._rebound.add(node.name.value)
        self._changes += 1

    def qualified(self, expr: cst.BaseExpression) -> str | None:
        answer = self._answers.get(id(expr))  # the tree outlives this table: ids are not reused
        if answer is not None and answer[0] == self._changes:
            return answer[1]
        result = self._qualified(expr)
        self._answers[id(expr)] = (self._changes, result)
        return result

    def _qualified(self, expr: cst.BaseExpression) -> str | None:
        dotted = dotted_name(expr)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        if head in self._rebound:
            return None
        base = self._bound.get(head)
        if not base:
            return None
        return f"{base}.{rest}" if rest else base
