"""One walk over a CPython syntax tree, in source order, for many visitors at once.

Visitors are written as for libcst's batched visitors, with `ast`'s class names: `visit_Call`,
`leave_FunctionDef`, and per field `visit_If_orelse` / `leave_If_orelse` around that field's
children, and `visit_decorator(expr)` before each decorator of a function or class (libcst's
`Decorator` node, which `ast` does not have). Children are visited in the order they are written: `ast`'s own field order puts a
function's decorators after its body and a conditional expression's test before its value, and
a call's keywords after every positional argument. Return values are ignored: in a shared walk
no visitor may hide a subtree from the others.

The walk recurses; callers run it on a deep stack (`prunelint.analysis.deepstack`).
"""

from __future__ import annotations

import ast
import functools
from typing import Any, Callable, Iterable

VisitorMethod = Callable[[Any], Any]

# Fields in the order their code is written, where that is not `ast`'s own `_fields` order.
# Fields left out are never nodes (names, operators, contexts, constants).
_SOURCE_ORDER: dict[type, tuple[str, ...]] = {
    # `type_params` exists from Python 3.12 on; a field a node lacks is skipped.
    ast.FunctionDef: ("decorator_list", "type_params", "args", "returns", "body"),
    ast.AsyncFunctionDef: ("decorator_list", "type_params", "args", "returns", "body"),
    ast.ClassDef: ("decorator_list", "type_params", "bases", "keywords", "body"),
    ast.IfExp: ("body", "test", "orelse"),
    ast.Call: ("func", "args", "keywords"),
    ast.Dict: ("keys", "values"),
    ast.arguments: ("posonlyargs", "args", "vararg", "kwonlyargs", "kwarg"),
}
# Fields that never hold a node a visitor asks about: identifiers, constants, flags, and the
# context and operator singletons. Leaving them out of the plans keeps every other field a
# node, a list of nodes, or None.
_NOT_NODES = frozenset({
    "ctx", "op", "ops", "id", "attr", "arg", "name", "kind", "type_comment", "level", "module",
    "asname", "conversion", "is_async", "n", "s", "tag", "simple", "rest",
})
_CONSTANT_VALUE = (ast.Constant, ast.MatchSingleton)


def _in_source_order(node: ast.AST, fields: tuple[str, ...]) -> list[ast.AST]:
    """Children of the nodes whose fields interleave in the source: by position."""
    children: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name)
        if isinstance(value, list):
            children.extend(v for v in value if v is not None)
        elif value is not None:
            children.append(value)
    if isinstance(node, ast.arguments):
        # A parameter's annotation is its child; its default is the arguments' child.
        children.extend(d for d in node.defaults + node.kw_defaults if d is not None)
    return sorted(children, key=lambda c: (c.lineno, c.col_offset))


class _Plan:
    __slots__ = ("visits", "leaves", "fields", "mixed")

    def __init__(self, visits, leaves, fields, mixed) -> None:
        self.visits: tuple[VisitorMethod, ...] = visits
        self.leaves: tuple[VisitorMethod, ...] = leaves
        # (field, (visit_ hooks, leave_ hooks) or None)
        self.fields: tuple[tuple[str, Any], ...] = fields
        # Children are gathered by position (a call with both kinds of argument, a dict).
        self.mixed: bool = mixed


def visitor_methods(visitor: object) -> dict[str, VisitorMethod]:
    """The `visit_*` and `leave_*` methods a visitor defines, bound."""
    return {name: getattr(visitor, name) for name in _hook_names(type(visitor))}


@functools.cache
def _hook_names(kind: type) -> tuple[str, ...]:
    # `dir` of a rule class is hundreds of names; every file asks again for the same class.
    return tuple(name for name in dir(kind) if name.startswith(("visit_", "leave_")))


def walk(tree: ast.AST, visitors: Iterable[object], *, parents: list[ast.AST] | None = None) -> None:
    """Call every visitor's methods over `tree`, each node's `visit_` before its children and
    its `leave_` after them. With `parents`, the chain of ancestors of the node being visited,
    itself last, is kept in that list."""
    methods: dict[str, list[VisitorMethod]] = {}
    for visitor in visitors:
        for name, method in visitor_methods(visitor).items():
            methods.setdefault(name, []).append(method)
    plans: dict[type, _Plan] = {}
    decorator_visits = tuple(methods.get("visit_decorator", ()))
    push = parents.append if parents is not None else None
    pop = parents.pop if parents is not None else None

    def plan_for(kind: type) -> _Plan:
        name = kind.__name__
        order = _SOURCE_ORDER.get(kind, kind._fields)
        fields = []
        hooked = False
        for field in order:
            if field in _NOT_NODES or (field == "value" and kind in _CONSTANT_VALUE):
                continue
            visits = tuple(methods.get(f"visit_{name}_{field}", ()))
            leaves = tuple(methods.get(f"leave_{name}_{field}", ()))
            hooked = hooked or bool(visits or leaves)
            fields.append((field, (visits, leaves) if visits or leaves else None))
        # Field hooks need fields walked one by one; no rule hooks the fields whose children
        # interleave, so those are walked by position instead.
        mixed = kind in (ast.Call, ast.Dict, ast.arguments) and not hooked
        plan = _Plan(
            tuple(methods.get(f"visit_{name}", ())), tuple(methods.get(f"leave_{name}", ())), tuple(fields), mixed
        )
        plans[kind] = plan
        return plan

    def visit(node: ast.AST) -> None:
        plan = plans.get(type(node)) or plan_for(type(node))
        if push is not None:
            push(node)
        for method in plan.visits:
            method(node)
        if plan.mixed:
            for child in _children_of_mixed(node):
                visit(child)
        else:
            for field, hooks in plan.fields:
                value = getattr(node, field, None)
                if hooks is not None:
                    for method in hooks[0]:
                        method(node)
                if type(value) is list:
                    if decorator_visits and field == "decorator_list":
                        for child in value:
                            for method in decorator_visits:
                                method(child)
                            visit(child)
                    else:
                        for child in value:
                            if child is not None and type(child) is not str:  # Global's names
                                visit(child)
                elif value is not None:
                    visit(value)
                if hooks is not None:
                    for method in hooks[1]:
                        method(node)
        for method in plan.leaves:
            method(node)
        if pop is not None:
            pop()

    try:
        visit(tree)
    finally:
        del visit  # its closure refers to itself: a cycle that would keep the tree alive


def _children_of_mixed(node: ast.AST) -> list[ast.AST]:
    if type(node) is ast.Call:
        args, keywords = node.args, node.keywords
        if not keywords:
            return [node.func, *args]
        if not args or not any(type(a) is ast.Starred for a in args):
            return [node.func, *args, *keywords]  # keywords follow plain positional arguments
        return [node.func, *_in_source_order(node, ("args", "keywords"))]
    if type(node) is ast.Dict:
        out: list[ast.AST] = []
        for key, value in zip(node.keys, node.values):
            if key is not None:
                out.append(key)
            out.append(value)
        return out
    return _in_source_order(node, ("posonlyargs", "args", "vararg", "kwonlyargs", "kwarg"))


def source_children(node: ast.AST) -> list[ast.AST]:
    """A node's child nodes in the order they are written, as the walk visits them."""
    kind = type(node)
    if kind in (ast.Call, ast.Dict, ast.arguments):
        return _children_of_mixed(node)
    children: list[ast.AST] = []
    for field in _SOURCE_ORDER.get(kind, kind._fields):
        if field in _NOT_NODES or (field == "value" and kind in _CONSTANT_VALUE):
            continue
        value = getattr(node, field, None)
        if type(value) is list:
            children.extend(c for c in value if c is not None and type(c) is not str)
        elif value is not None:
            children.append(value)
    return children


def iter_nodes(tree: ast.AST) -> Iterable[ast.AST]:
    """Every node under `tree`, itself first, in source order, without recursion (for deep
    expressions)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(source_children(node)))
