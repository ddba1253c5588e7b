"""A read-only batched traversal of a libcst tree: libcst's `visit_batched`, without the rebuild.

libcst visits a tree by rebuilding it: every node is constructed and validated again on the way
back up, even when no visitor changes anything, and every field of every node makes four calls
(visit/leave of the attribute, on both sides). For a linter that only reads the tree, that
rebuild cost four times the visitor work on the pruning-heavy benchmark tree. This walk calls
the same `visit_<Type>`, `visit_<Type>_<field>`, `leave_<Type>_<field>` and `leave_<Type>`
methods, in libcst's order, and `before_visit`/`after_leave` around each node, without
building anything.

The order of a node's children is libcst's own: each class's `_visit_and_replace_children`
names its fields in the order it visits them, and that order is read from its bytecode once
per class. `tests/lint/test_traversal.py` checks event for event that this walk and libcst's
agree.

Whitespace, comments and one-token operators (commas, colons, parentheses, `+`) are skipped,
subtree and all, unless some visitor asks for one of their types: they are half the nodes of
a file and no rule reads them. `before_visit`/`after_leave` therefore never see them.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import dis
import functools
import importlib.metadata
import inspect
import typing
import warnings
from typing import Any, Callable, Iterable, Mapping

import libcst as cst

VisitorMethod = Callable[[cst.CSTNode], Any]
_UNPLANNED = object()  # a class walk() has not met yet in this walk
_TRIVIA_MODULES = ("libcst._nodes.whitespace", "libcst._nodes.op")

_BRACKETS = (
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
)


class LibcstDriftWarning(UserWarning):
    """The installed libcst is built differently from the versions prunelint was tested with
    (CI runs both ends of the range in pyproject.toml): a slower or coarser path is used."""


@functools.cache
def child_fields(kind: type[cst.CSTNode]) -> tuple[tuple[str, bool], ...]:
    """The fields of `kind` that libcst visits, in the order it visits them, each with whether
    libcst visits it as a sequence (a sequence field that may be None is then not visited at
    all, where an optional single node still gets its attribute events).

    Read from the bytecode of libcst's `_visit_and_replace_children`. A libcst whose bytecode
    no longer names every field that can hold a node would make rules go silent, so the order
    is checked against the class's annotations; where it falls short, every node field is
    visited in declaration order and a LibcstDriftWarning says so."""
    order = _bytecode_order(kind)
    hints = _hints(kind)
    node_fields = [f.name for f in dataclasses.fields(kind) if _node_classes(hints.get(f.name))]
    visited = {name for name, _ in order}
    if hints is None or all(name in visited for name in node_fields):
        return order
    warnings.warn(
        f"libcst {libcst_version()} visits {kind.__name__} in a way prunelint was not tested "
        "with: its fields are walked in declaration order, which may change what rules see",
        LibcstDriftWarning,
        stacklevel=2,
    )
    return tuple((name, _is_sequence(hints.get(name))) for name in node_fields)


def _bytecode_order(kind: type[cst.CSTNode]) -> tuple[tuple[str, bool], ...]:
    names = {f.name for f in dataclasses.fields(kind)}
    order: list[tuple[str, bool]] = []
    seen: set[str] = set()
    helper = ""
    try:
        instructions = list(dis.get_instructions(kind._visit_and_replace_children))
    except (AttributeError, TypeError):
        return ()
    for instruction in instructions:
        value = instruction.argval
        if instruction.opname == "LOAD_GLOBAL":
            helper = value
        elif instruction.opname == "LOAD_CONST" and isinstance(value, str) and value in names and value not in seen:
            seen.add(value)
            order.append((value, helper == "visit_sequence"))
    return tuple(order)


@functools.cache
def _hints(kind: type[cst.CSTNode]) -> dict[str, Any] | None:
    try:
        return typing.get_type_hints(kind)
    except Exception:  # an annotation that does not resolve: nothing to check against
        return None


def _is_sequence(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Union:
        return any(_is_sequence(arg) for arg in typing.get_args(annotation))
    return isinstance(origin, type) and issubclass(origin, collections.abc.Sequence)


def libcst_version() -> str:
    try:
        return importlib.metadata.version("libcst")
    except importlib.metadata.PackageNotFoundError:
        return "(unknown version)"


@functools.cache
def is_trivia(kind: type[cst.CSTNode]) -> bool:
    """Whitespace, comments and one-token operators: nodes that hold nothing but more of them."""
    # By module name, not by importing libcst's private modules: a libcst that moved them walks
    # its trivia too (slower, the same findings).
    return kind.__module__ in _TRIVIA_MODULES or issubclass(kind, _BRACKETS)


@functools.cache
def trivia_only_fields(kind: type[cst.CSTNode]) -> frozenset[str]:
    """Fields whose annotation admits trivia only (`lpar`, `comma`, `whitespace_after`...): two
    thirds of all fields. Parsed trees follow their annotations."""
    hints = _hints(kind)
    if hints is None:  # an annotation that does not resolve: assume it may hold anything
        return frozenset()
    return frozenset(
        name
        for name, _ in child_fields(kind)
        if (classes := _node_classes(hints.get(name))) and all(_only_trivia(c) for c in classes)
    )


def _node_classes(annotation: Any) -> list[type]:
    if typing.get_origin(annotation) is None:
        return [annotation] if isinstance(annotation, type) and issubclass(annotation, cst.CSTNode) else []
    return [kind for arg in typing.get_args(annotation) for kind in _node_classes(arg)]


@functools.cache
def _only_trivia(kind: type) -> bool:
    """Whether every concrete class a field of this type may hold is trivia."""
    if not inspect.isabstract(kind) and not is_trivia(kind):
        return False
    return all(_only_trivia(sub) for sub in kind.__subclasses__())


@functools.cache
def visitor_method_names(kind: type) -> tuple[str, ...]:
    """The `visit_*`/`leave_*` methods of a visitor class, without libcst's no-op stubs: what
    libcst's own `get_visitors` finds, but once per class where libcst runs
    `inspect.getmembers` on every instance, once per file."""
    names = []
    for name in dir(kind):
        if name.startswith(("visit_", "leave_")):
            method = getattr(kind, name, None)
            if callable(method) and not getattr(method, "_is_no_op", False):
                names.append(name)
    return tuple(names)


def bound_visitors(visitor: object) -> dict[str, VisitorMethod]:
    """`get_visitors()` of a `BatchableCSTVisitor`, fast."""
    return {name: getattr(visitor, name) for name in visitor_method_names(type(visitor))}


def _visitors_of(visitor: cst.BatchableCSTVisitor) -> Mapping[str, VisitorMethod]:
    if type(visitor).get_visitors is cst.BatchableCSTVisitor.get_visitors:
        return bound_visitors(visitor)
    return visitor.get_visitors()


class _Plan:
    """What to call for one node class in one walk."""

    __slots__ = ("visits", "leaves", "fields")

    def __init__(
        self,
        visits: tuple[VisitorMethod, ...],
        leaves: tuple[VisitorMethod, ...],
        # (field, visited as a sequence, (its visit_ and leave_ methods) or None where it has none)
        fields: tuple[tuple[str, bool, tuple[tuple[VisitorMethod, ...], tuple[VisitorMethod, ...]] | None], ...],
    ) -> None:
        self.visits = visits
        self.leaves = leaves
        self.fields = fields


def visit_batched(
    node: cst.CSTNode,
    visitors: Iterable[cst.BatchableCSTVisitor],
    before_visit: VisitorMethod | None = None,
    after_leave: VisitorMethod | None = None,
    *,
    parents: list[cst.CSTNode] | None = None,
    skip_trivia: bool = True,
) -> None:
    """Call every visitor's methods over `node`'s tree, as `libcst.visit_batched` would.

    With `parents`, the walk keeps in it the chain of ancestors of the node being visited,
    itself last: what `before_visit=parents.append` would, at a fraction of the cost."""
    push = parents.append if parents is not None else None
    pop = parents.pop if parents is not None else None
    methods: dict[str, list[VisitorMethod]] = {}
    for visitor in visitors:
        for name, method in _visitors_of(visitor).items():
            methods.setdefault(name, []).append(method)
    plans: dict[type, _Plan | None] = {}
    skip = skip_trivia and not any(_names_trivia(name) for name in methods)

    def plan_for(kind: type) -> _Plan | None:
        # Values that are not nodes (None, strings, MaybeSentinel) get no plan, like trivia.
        if not issubclass(kind, cst.CSTNode) or (skip and is_trivia(kind)):
            plans[kind] = None
            return None
        name = kind.__name__
        fields = []
        skipped = trivia_only_fields(kind) if skip else frozenset()
        for field, sequence in child_fields(kind):
            visits = tuple(methods.get(f"visit_{name}_{field}", ()))
            leaves = tuple(methods.get(f"leave_{name}_{field}", ()))
            if visits or leaves:
                fields.append((field, sequence, (visits, leaves)))
            elif field not in skipped:
                fields.append((field, sequence, None))  # no events of its own: the common case
        plan = _Plan(tuple(methods.get(f"visit_{name}", ())), tuple(methods.get(f"leave_{name}", ())), tuple(fields))
        plans[kind] = plan
        return plan

    get_plan = plans.get

    def walk(node: Any, plan: _Plan) -> None:
        # `plan` is the plan of `node`'s class, never None: callers skip what has none.
        if push is not None:
            push(node)
        if before_visit is not None:
            before_visit(node)
        for method in plan.visits:
            method(node)
        for field, sequence, hooks in plan.fields:
            value = getattr(node, field)
            if hooks is not None:
                if sequence and value is None:
                    continue
                for method in hooks[0]:
                    method(node)
            kind = type(value)
            if kind is tuple or kind is list:
                for child in value:
                    child_plan = get_plan(type(child), _UNPLANNED)
                    if child_plan is _UNPLANNED:
                        child_plan = plan_for(type(child))
                    if child_plan is not None:
                        walk(child, child_plan)
            else:
                child_plan = get_plan(kind, _UNPLANNED)
                if child_plan is _UNPLANNED:
                    child_plan = plan_for(kind)
                if child_plan is not None:  # not None, a string, a trivia node
                    walk(value, child_plan)
            if hooks is not None:
                for method in hooks[1]:
                    method(node)
        for method in plan.leaves:
            method(node)
        if after_leave is not None:
            after_leave(node)
        if pop is not None:
            pop()

    try:
        root_plan = plan_for(type(node))
        if root_plan is not None:
            walk(node, root_plan)
    finally:
        # `walk` refers to itself through its closure: a cycle that would keep the visitors,
        # and through them the whole tree, alive until the next full collection.
        del walk


@functools.cache
def _names_trivia(method_name: str) -> bool:
    """Whether a `visit_X`/`leave_X[_field]` method is about a trivia class."""
    kind_name = method_name.split("_", 2)[1]
    kind = getattr(cst, kind_name, None)
    return isinstance(kind, type) and issubclass(kind, cst.CSTNode) and is_trivia(kind)

