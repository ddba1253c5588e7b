"""Python's name binding, just enough to tell `torch.no_grad` from a local `no_grad`.

Names are resolved after the whole file is read, against every binding a scope has: a name bound
to two different things (an import, then an assignment) resolves to nothing, so that an unclear
name never produces a finding.
"""

from __future__ import annotations

from typing import Callable, Literal, Union

from prunelint.analysis.facts import Symbol

ScopeKind = Literal["module", "function", "class", "lambda", "comprehension"]
API_PACKAGES = ("torch", "torch_pruning")


class Pending:
    """A binding whose meaning needs other names: `x = a.b`, `x = a.b()`, `x = partial(a.b)`.

    Compared by identity, and never changed once made. A plain class: one is made per such
    binding, and a frozen dataclass's constructor sets each field through object.__setattr__."""

    __slots__ = ("how", "dotted", "scope", "partial_func", "call")

    def __init__(
        self,
        # item: an element of the container literal bound to `dotted` (`REGISTRY[k]`, `.get(k)`).
        how: Literal["alias", "instance", "partial", "item"],
        dotted: str,
        scope: "Scope",
        partial_func: str = "",
        call: object = None,  # the Call that made an instance, for its arguments
    ) -> None:
        self.how = how
        self.dotted = dotted
        self.scope = scope
        self.partial_func = partial_func
        self.call = call

    def __repr__(self) -> str:
        return f"Pending({self.how!r}, {self.dotted!r}, partial_func={self.partial_func!r})"

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
        # The values held by the container literals bound to a name (`{"l1": tp.pruner.A}`).
        self.items: dict[str, list[Value]] = {}
        self.star_imports: list[str] = []  # module scope only; "" entries are relative
        self.global_names: set[str] = set()
        self.nonlocal_names: set[str] = set()
        self.lambdas = 0

    def bind(self, name: str, value: Value) -> None:
        if name in self.global_names:
            self.module().bind(name, value)
            return
        if name in self.nonlocal_names:
            outer = self.parent
            while outer is not None and (outer.kind == "class" or name not in outer.bindings):
                if outer.kind == "module":
                    break
                outer = outer.parent
            if outer is not None and outer.kind != "module":
                outer.bind(name, value)
                return
        self.bindings.setdefault(name, []).append(value)

    def forget(self) -> None:
        """Drop the bindings once resolved: a Pending binding points back at its scope, and the
        cycle would keep the libcst nodes it holds alive until a full collection."""
        self.bindings.clear()
        self.self_attrs.clear()
        self.items.clear()

    def child_qualname(self, name: str) -> str:
        if self.kind == "module":
            return name
        if self.kind == "class":
            return f"{self.qualname}.{name}"
        if self.kind == "comprehension":
            return self.function_scope().child_qualname(name)
        return f"{self.qualname}.<locals>.{name}"

    def function_scope(self) -> "Scope":
        """The scope whose body this code runs in: comprehensions run inline."""
        scope = self
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        return scope

    def enclosing_class(self) -> "Scope | None":
        scope = self.function_scope()
        if scope.kind == "function" and scope.parent is not None and scope.parent.kind == "class":
            return scope.parent
        return None

    def module(self) -> "Scope":
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope


def _binding_scope(scope: Scope, name: str) -> Scope | None:
    """Where `name` is bound, by Python's rule: own scope, then enclosing functions (not
    classes), then the module."""
    current: Scope | None = scope
    first = True
    while current is not None:
        if (first or current.kind != "class") and name in current.bindings:
            return current
        first = False
        current = current.parent
    return None


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

    def __init__(self, is_api_name: Callable[[str], bool]) -> None:
        self._is_api_name = is_api_name
        self._active: set[tuple[int, str]] = set()
        self._memo: dict[tuple[int, str], tuple[Symbol | None, str]] = {}

    def lookup(self, scope: Scope, name: str) -> tuple[bool, Value]:
        """Python's rule: own scope, then enclosing functions (not classes), then the module."""
        values = self._values(scope, name)
        if values is None:
            return False, None
        return _single(values)

    def _values(self, scope: Scope, name: str) -> list[Value] | None:
        found = _binding_scope(scope, name)
        return None if found is None else found.bindings[name]

    def union(self, scope: Scope, dotted: str) -> list[tuple[Symbol, str, str]]:
        """Everything `dotted` may be where its bindings disagree (an if/elif chain of partials,
        a loop over a literal list): (symbol, leftover, the value as written), one per distinct
        symbol. An unknown binding (a parameter, a call) adds nothing."""
        head, _, rest = dotted.partition(".")
        if head == "super()":
            return []
        if head == "self":
            # `self.DG = DependencyGraph()` in two methods: the attribute holds either.
            cls = scope.enclosing_class()
            attr, _, rest = rest.partition(".")
            if cls is None or not attr:
                return []
            return self._union(cls.self_attrs.get(attr, []) + cls.bindings.get(attr, []), rest)
        values = self._values(scope, head)
        return self._union(values or [], rest)

    def resolve_value(self, pending: Pending) -> tuple[Symbol | None, str]:
        """A value that is not a name (`REGISTRY[k]`, `getattr(tp.pruner, "X")`) as one symbol."""
        if pending.how == "alias":
            return self.resolve(pending.scope, pending.dotted)
        return self._resolve_pending(pending), ""

    def items_union(self, pending: Pending, rest: str = "") -> list[tuple[Symbol, str, str]]:
        """What an element of the container bound to `pending.dotted` may be."""
        guard = (id(pending.scope), f"[{pending.dotted}]")
        if guard in self._active:  # `a = [a[0]]`: a container of its own elements
            return []
        self._active.add(guard)
        try:
            return self._union(self._items(pending.scope, pending.dotted) or [], rest)
        finally:
            self._active.discard(guard)

    def _union(self, values: list[Value], rest: str) -> list[tuple[Symbol, str, str]]:
        found: dict[Symbol, tuple[Symbol, str, str]] = {}
        for value in values:
            if value is None:
                continue
            if isinstance(value, Pending) and value.how == "item":
                options = self.items_union(value, rest)
            else:
                symbol = self._resolve_pending(value) if isinstance(value, Pending) else value
                options = [] if symbol is None else [(*self.member(symbol, rest), _written(value))]
            for symbol, leftover, written in options:
                found.setdefault(symbol, (symbol, leftover, written))
        return list(found.values())

    def _items(self, scope: Scope, name: str) -> list[Value] | None:
        found = _binding_scope(scope, name)
        return None if found is None else found.items.get(name)

    @staticmethod
    def member(symbol: Symbol, rest: str) -> tuple[Symbol, str]:
        if symbol.wrapping:
            member = f"{symbol.member}.{rest}" if symbol.member and rest else symbol.member or rest
            return Symbol(symbol.kind, symbol.name, symbol.level, symbol.wrapping), member
        return symbol.attr(rest), ""

    def candidates(self, scope: Scope, dotted: str) -> list[Symbol] | None:
        """Every symbol an ambiguous name may be (`try: from torch import inference_mode as m`,
        `except ImportError: from torch import no_grad as m`), or None if any is unknown."""
        head, _, rest = dotted.partition(".")
        values = self._values(scope, head)
        if not values:
            return None
        found: list[Symbol] = []
        for value in values:
            if isinstance(value, Pending):
                symbol = self._resolve_pending(value)
            else:
                symbol = value
            if symbol is None or symbol.wrapping:
                return None
            found.append(symbol.attr(rest))
        return found

    def resolve(self, scope: Scope, dotted: str) -> tuple[Symbol | None, str]:
        """The symbol of `dotted`, and the attribute path left over past an instance."""
        guard = (id(scope), dotted)
        if guard in self._memo:
            return self._memo[guard]
        if guard in self._active:
            return None, ""
        self._active.add(guard)
        try:
            result = self._resolve(scope, dotted)
        finally:
            self._active.discard(guard)
        self._memo[guard] = result
        return result

    def _resolve(self, scope: Scope, dotted: str) -> tuple[Symbol | None, str]:
        head, _, rest = dotted.partition(".")
        if head == "self" and rest:
            cls = scope.enclosing_class()
            if cls is None:
                return None, ""
            attr, _, rest = rest.partition(".")
            values = cls.self_attrs.get(attr, []) + cls.bindings.get(attr, [])
            if not values:
                # Perhaps inherited: the project looks it up along the class's bases.
                return Symbol("local", f"{cls.qualname}.{attr}").attr(rest), ""
            found, value = _single(values)
        elif head == "super()" and rest:
            cls = scope.enclosing_class()
            if cls is None:
                return None, ""
            return Symbol("local", cls.qualname, wrapping="super"), rest
        else:
            values = self._values(scope, head)
            if values is None:
                return self._from_star_import(scope, dotted), ""
            found, value = _single(values)
        if not found or value is None:
            return None, ""
        if isinstance(value, Pending):
            symbol = self._resolve_pending(value)
            if symbol is None:
                return None, ""
        else:
            symbol = value
        if symbol.wrapping:
            member = f"{symbol.member}.{rest}" if symbol.member and rest else symbol.member or rest
            return Symbol(symbol.kind, symbol.name, symbol.level, symbol.wrapping), member
        return symbol.attr(rest), ""

    def _resolve_pending(self, pending: Pending) -> Symbol | None:
        if pending.how == "item":
            options = self.items_union(pending)
            if len(options) != 1 or options[0][1]:
                return None
            return options[0][0]
        if pending.how == "partial":
            func, _ = self.resolve(pending.scope, pending.partial_func)
            if func is None or func.kind != "external" or func.name != "functools.partial":
                return None
        target, leftover = self.resolve(pending.scope, pending.dotted)
        if target is None:
            return None
        if pending.how == "alias":
            return target.attr(leftover) if leftover else target
        if target.wrapping or leftover:
            return None
        return target.wrapped(pending.how)

    def _from_star_import(self, scope: Scope, dotted: str) -> Symbol | None:
        stars = scope.module().star_imports
        if not stars:
            return None
        if all(m.split(".", 1)[0] in API_PACKAGES for m in stars):
            for module in reversed(stars):
                candidate = f"{module}.{dotted}"
                if self._is_api_name(candidate):
                    return Symbol("external", candidate)
            return None
        # Another star import may define the name: only the project can tell.
        return Symbol("unbound", dotted)


def _written(value: Value) -> str:
    """A binding as the user wrote it, near enough for a message."""
    if isinstance(value, Pending):
        return f"partial({value.dotted}, ...)" if value.how == "partial" else value.dotted
    return value.name if isinstance(value, Symbol) else ""
