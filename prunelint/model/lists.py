"""Lists built by name in a scope, for the construction-site rules (PRL101, PRL102).

The `ast` twin of `prunelint.rules.construction.ListTracker`: `ignored = [...]`,
`ignored.append(x)` and the like, followed in source order within a function or class.
"""

from __future__ import annotations

import ast

from prunelint.model.arguments import comprehension_string_name, elements, first_name_of_named

_UNKNOWN = None


class ListTracker:
    """Mixin: the elements of lists built by name in a scope (`ignored = [...]`, `.append(x)`).

    Flow-insensitive within a scope beyond source order: an `append` in a loop or branch counts as
    an element, and any other binding of the name makes its elements unknown. Names bound by
    `for name, m in x.named_modules():` are remembered as strings while the loop body is visited.
    The rule calls `track_call` from its own `visit_Call`.
    """

    STRING_YIELDING = ("named_modules", "named_children", "named_parameters", "named_buffers")

    def visit_Module(self, node: ast.Module) -> None:
        self._lists: list[dict[str, list[ast.expr] | None]] = [{}]
        self._string_names: list[str] = []
        # Elements appended while they were a `named_modules()` loop's name variable.
        self._string_elements: set[int] = set()

    def _push(self, node: ast.AST) -> None:
        self._lists.append({})

    def _pop(self, node: ast.AST) -> None:
        self._lists.pop()

    visit_FunctionDef = _push
    leave_FunctionDef = _pop
    visit_AsyncFunctionDef = _push
    leave_AsyncFunctionDef = _pop
    visit_ClassDef = _push
    leave_ClassDef = _pop

    def tracked(self, name: str) -> list[ast.expr] | None:
        """The elements of list `name` in the current scope so far; None if unknown."""
        return self._lists[-1].get(name, _UNKNOWN)

    def is_string_name(self, expr: ast.AST) -> bool:
        if id(expr) in self._string_elements:
            return True
        return type(expr) is ast.Name and expr.id in self._string_names

    def leave_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._bind(target, node.value)

    def leave_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value)

    def leave_AugAssign(self, node: ast.AugAssign) -> None:
        target = node.target
        if type(target) is not ast.Name:
            return
        scope = self._lists[-1]
        known = scope.get(target.id)
        added = elements(node.value)
        scope[target.id] = None if known is None or added is None else known + added

    def _bind(self, target: ast.AST, value: ast.expr) -> None:
        if type(target) is ast.Name:
            self._lists[-1][target.id] = elements(value)

    def track_call(self, node: ast.Call) -> None:
        func = node.func
        if not (type(func) is ast.Attribute and type(func.value) is ast.Name):
            return
        scope = self._lists[-1]
        name = func.value.id
        known = scope.get(name)
        if known is None:
            return
        method = func.attr
        if any(type(a) is ast.Starred for a in node.args) or any(k.arg is None for k in node.keywords):
            scope[name] = None
            return
        args = node.args
        for arg in args:
            if type(arg) is ast.Name and arg.id in self._string_names:
                self._string_elements.add(id(arg))
        if method == "append" and len(args) == 1:
            scope[name] = known + [args[0]]
        elif method == "insert" and len(args) == 2:
            scope[name] = known + [args[1]]
        elif method == "extend" and len(args) == 1:
            added = elements(args[0])
            scope[name] = None if added is None else known + added
        elif method in ("clear", "pop", "remove"):
            scope[name] = None

    def _enter_for(self, node: ast.For | ast.AsyncFor) -> None:
        self._string_names.append(loop_string_name(node.target, node.iter, self.STRING_YIELDING) or "")

    def _leave_for(self, node: ast.For | ast.AsyncFor) -> None:
        self._string_names.pop()

    visit_For = _enter_for
    leave_For = _leave_for
    visit_AsyncFor = _enter_for
    leave_AsyncFor = _leave_for


def loop_string_name(target: ast.AST, iterable: ast.AST, methods: tuple[str, ...]) -> str | None:
    """`first_name_of_named`, and `names` in `for *names, m in x.named_modules():` as well (a
    list of one name, no module either), as the libcst version read that loop."""
    return first_name_of_named(_unstarred(target), iterable, methods)


def comprehension_names(node: ast.AST, methods: tuple[str, ...]) -> bool:
    """`comprehension_string_name`, and `[n for *n, m in x.named_modules()]` as well."""
    kind = type(node)
    if (kind is ast.ListComp or kind is ast.GeneratorExp) and len(node.generators) == 1:  # type: ignore[attr-defined]
        comp = node.generators[0]  # type: ignore[attr-defined]
        target = _unstarred(comp.target)
        if target is not comp.target:
            elt = node.elt  # type: ignore[attr-defined]
            return type(elt) is ast.Name and first_name_of_named(target, comp.iter, methods) == elt.id
    return comprehension_string_name(node, methods)


def _unstarred(target: ast.AST) -> ast.AST:
    """`*a, b` read as `a, b` (what libcst's `elements[0].value` gave); any other target as it is."""
    if type(target) is ast.Tuple and len(target.elts) == 2 and type(target.elts[0]) is ast.Starred:
        return ast.Tuple(elts=[target.elts[0].value, target.elts[1]], ctx=target.ctx)
    return target
