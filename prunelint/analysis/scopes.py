"""Python's name binding, just enough to tell `torch.no_grad` from a local `no_grad`.

Names are resolved after the whole file is read, against every binding a scope has: a name bound
to two different things (an import, then an assignment) resolves to nothing, so that an unclear
name never produces a finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

from prunelint.analysis.facts import Symbol

ScopeKind = Literal["module", "function", "class", "lambda"]


@dataclass(frozen=True, eq=False)
class Pending:
    """A binding whose meaning needs other names: `x = a.b`, `x = a.b()`, `x = partial(a.b)`."""

    how: Literal["alias", "instance", "partial"]
    dotted: str
    scope: "Scope"
    partial_func: str = ""

    def key(self) -> tuple:
        return (self.how, self.dotted, id(self.scope), self.partial_func)


Value = Union[Symbol, Pending, None]


class Scope:
    def __init__(self, kind: ScopeKind, qualname: str, parent: "Scope | None") -> None:
        self.kind = kind
        self.qualname = qualname
        self.parent = parent
        self.bindings: dict[str, list[Value]] = {}
        # `self.x = ...` inside methods, kept on the class scope.
        self.self_attrs: dict[str, list[Value]] = {}
        self.star_imports: list[str] = []

    def bind(self, name: str, value: Value) -> None:
        self.bindings.setdefault(name, []).append(value)

    def child_qualname(self, name: str) -> str:
        if self.kind == "module":
            return name
        if self.kind == "class":
            return f"{self.qualname}.{name}"
        return f"{self.qualname}.<locals>.{name}"

    def enclosing_class(self) -> "Scope | None":
        if self.kind == "function" and self.parent is not None and self.parent.kind == "class":
            return self.parent
        return None

    def module(self) -> "Scope":
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope


def _single(values: list[Value]) -> tuple[bool, Value]:
    """(True, value) when every binding agrees; (False, None) otherwise."""
    first = values[0]
    for other in values[1:]:
        if _value_key(other) != _value_key(first):
            return False, None
    return True, first


def _value_key(value: Value) -> object:
    return value.key() if isinstance(value, Pending) else value


class Resolver:
    """Turns dotted names as written into Symbols, once the file's bindings are all known."""

    def __init__(self, is_api_name: "callable") -> None:
        self._is_api_name = is_api_name
        self._active: set[tuple[int, str]] = set()

    def lookup(self, scope: Scope, name: str) -> tuple[bool, Value]:
        """Python's rule: own scope, then enclosing functions (not classes), then the module."""
        current: Scope | None = scope
        first = True
        while current is not None:
            if (first or current.kind != "class") and name in current.bindings:
                return _single(current.bindings[name])
            first = False
            current = current.parent
        return False, None

    def resolve(self, scope: Scope, dotted: str) -> tuple[Symbol | None, str]:
        """The symbol of `dotted`, and the attribute path left over past an instance."""
        guard = (id(scope), dotted)
        if guard in self._active:
            return None, ""
        self._active.add(guard)
        try:
            return self._resolve(scope, dotted)
        finally:
            self._active.discard(guard)

    def _resolve(self, scope: Scope, dotted: str) -> tuple[Symbol | None, str]:
        head, _, rest = dotted.partition(".")
        if head == "self" and rest:
            cls = scope.enclosing_class()
            if cls is None:
                return None, ""
            attr, _, rest = rest.partition(".")
            values = cls.self_attrs.get(attr) or cls.bindings.get(attr)
            if not values:
                return None, ""
            found, value = _single(values)
        else:
            found, value = self.lookup(scope, head)
            if not found:
                if not any(head in s.bindings for s in _chain(scope)):
                    return self._from_star_import(scope, dotted), ""
                return None, ""
        if value is None:
            return None, ""
        if isinstance(value, Pending):
            symbol = self._resolve_pending(value)
            if symbol is None:
                return None, ""
        else:
            symbol = value
        if symbol.wrapping:
            return symbol, rest
        return symbol.attr(rest), ""

    def _resolve_pending(self, pending: Pending) -> Symbol | None:
        if pending.how == "partial":
            func, _ = self.resolve(pending.scope, pending.partial_func)
            if func is None or func.kind != "external" or func.name != "functools.partial":
                return None
        target, leftover = self.resolve(pending.scope, pending.dotted)
        if target is None or leftover:
            return None
        if pending.how == "alias":
            return target
        if target.wrapping:
            return None
        return target.wrapped(pending.how)

    def _from_star_import(self, scope: Scope, dotted: str) -> Symbol | None:
        for module in scope.module().star_imports:
            candidate = f"{module}.{dotted}"
            if self._is_api_name(candidate):
                return Symbol("external", candidate)
        return None


def _chain(scope: Scope):
    current: Scope | None = scope
    while current is not None:
        yield current
        current = current.parent
