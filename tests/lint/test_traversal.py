"""prunelint's read-only traversal against libcst's own `visit_batched`, event for event.

Each visitor here records every method libcst could call on it (visit/leave of every node
class and of every field) together with the node's identity, plus `before_visit` and
`after_leave`. The two walks must produce the same list: the full list when trivia are walked,
and libcst's list without the trivia nodes when they are skipped.
"""

from __future__ import annotations

import inspect
from functools import partial
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given, settings

from prunelint.analysis.deepstack import with_deep_stack
from prunelint.analysis.traversal import child_fields, is_trivia, visit_batched
from pysplice import any_module
from test_properties import _profile

ROOT = Path(__file__).resolve().parents[2]

NODE_CLASSES = [
    kind
    for kind in vars(cst).values()
    if isinstance(kind, type) and issubclass(kind, cst.CSTNode) and not inspect.isabstract(kind)
]

# Syntax that the repository's own files may not use, so that every node class is walked.
EVERY_SYNTAX = '''
# coding: utf-8
"""Doc."""
from __future__ import annotations
import os.path as p, sys
from . import x
from .a.b import (c as d, e,)
from m import *
@dec(1)
@other.attr
async def f(a, /, b: int = 1, *args: str, c, d=2, **kw) -> "T":
    global g
    nonlocal_ = 1
    async with a as (b, c), d:
        await x
    async for i in y:
        yield i
    else:
        pass
    return (yield from z)
class C(B, metaclass=M):
    x: int = 1
    def g(self):
        nonlocal q
        del a[0], b.c
        assert x, "m"
        raise E from F
try:
    pass
except (A, B) as e:
    pass
else:
    pass
finally:
    pass
try:
    pass
except* C:
    pass
while a if b else c:
    break
else:
    continue
with (open(a) as f, open(b) as g):
    pass
match command.split():
    case [action, *rest] if rest:
        pass
    case {"k": v, **others}:
        pass
    case Point(x=0, y=_) | None:
        pass
    case 1 | -2 | 3.5 | 4j | "s" as lit:
        pass
a = b = [i for i in range(3) if i]; b += 1; c: list[int]
d = {k: v for k, v in z.items()}, {s for s in t}, (g for g in h)
e = lambda x, *, y=1: x ** y // 2 % 3 @ m
f = f"{a!r:>{width}} {b=} {{}}" "con" "cat"
bb = rb"raw" b"bytes"
g = not a and b or c in d and e is not f and g < h <= i != j
h = a[1:2:3, ...], a[::], -a, +a, ~a, a << 1 >> 2 & 3 | 4 ^ 5
if (n := len(a)) > 10:
    print(*args, **kwargs, sep="")
elif x:
    pass
type Alias[T: int, *Ts, **P] = list[T]
def generic[T = int](x: T) -> T: ...
'''


class Recorder(cst.BatchableCSTVisitor):
    """Answers every visitor method libcst knows of, and records the call."""

    def __init__(self, events: list[tuple[str, int]], kinds: list[type[cst.CSTNode]]) -> None:
        super().__init__()
        self.events = events
        self.kinds = kinds

    def get_visitors(self):
        methods = {}
        for kind in self.kinds:
            names = [f"visit_{kind.__name__}", f"leave_{kind.__name__}"]
            for field, _ in child_fields(kind):
                names += [f"visit_{kind.__name__}_{field}", f"leave_{kind.__name__}_{field}"]
            for name in names:
                methods[name] = partial(self._record, name)
        return methods

    def _record(self, name: str, node: cst.CSTNode) -> None:
        self.events.append((name, id(node)))


def _events(walker, module: cst.Module, kinds, **options) -> list[tuple[str, int]]:
    events: list[tuple[str, int]] = []
    visitors = [Recorder(events, kinds), Recorder(events, kinds)]  # two visitors: batching order
    before = lambda node: events.append(("before", id(node)))  # noqa: E731
    after = lambda node: events.append(("after", id(node)))  # noqa: E731
    with_deep_stack(lambda: walker(module, visitors, before, after, **options))
    return events


def _compare(module: cst.Module) -> int:
    """Asserts both comparisons; returns how many trivia nodes the fast walk skipped."""
    libcst_walk = lambda *args: cst.visit_batched(*args)  # noqa: E731
    # Every class watched: nothing may be skipped, and the two walks are the same list.
    assert _events(visit_batched, module, NODE_CLASSES) == _events(libcst_walk, module, NODE_CLASSES)
    # Only the classes rules may watch: trivia subtrees are skipped, everything else is equal.
    kinds = [kind for kind in NODE_CLASSES if not is_trivia(kind)]
    ours = _events(visit_batched, module, kinds)
    trivia = set()

    class Trivia(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if is_trivia(type(node)):
                trivia.add(id(node))
            return True

    module.visit(Trivia())
    theirs = [event for event in _events(libcst_walk, module, kinds) if event[1] not in trivia]
    assert ours == theirs
    return len(trivia)


def test_every_node_class_is_walked_in_libcsts_order() -> None:
    module = cst.parse_module(EVERY_SYNTAX)
    seen: set[type] = set()

    class Seen(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            seen.add(type(node))
            return True

    module.visit(Seen())
    # The sample must really cover the syntax: most node classes appear in it.
    assert len(seen) > 0.8 * len(NODE_CLASSES), sorted(k.__name__ for k in set(NODE_CLASSES) - seen)
    assert _compare(module) > 0


@pytest.mark.parametrize(
    "path",
    # Every rule's fixtures but PRL000's (files that do not parse), and prunelint's own code.
    [p for p in sorted((ROOT / "fixtures").rglob("*.py")) if "prl000" not in p.parts]
    + sorted((ROOT / "prunelint").rglob("*.py")),
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_repository_files_walk_as_libcst_walks_them(path: Path) -> None:
    _compare(cst.parse_module(path.read_bytes()))


def test_trivia_are_walked_when_a_visitor_asks_for_them() -> None:
    module = cst.parse_module("a = (1,  # one\n     2)\n")
    comments: list[str] = []

    class Comments(cst.BatchableCSTVisitor):
        def visit_Comment(self, node: cst.Comment) -> None:
            comments.append(node.value)

    visit_batched(module, [Comments()])
    assert comments == ["# one"]


def test_unchanged_tree() -> None:
    module = cst.parse_module(EVERY_SYNTAX)
    visit_batched(module, [Recorder([], NODE_CLASSES)])
    assert module.code == EVERY_SYNTAX


def test_generated_programs_walk_as_libcst_walks_them(request: pytest.FixtureRequest) -> None:
    @settings(_profile(request))
    @given(any_module())
    def check(source: str) -> None:
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError:
            return
        _compare(module)

    check()


def test_parents_is_the_chain_of_ancestors() -> None:
    module = cst.parse_module(EVERY_SYNTAX)
    expected: list[tuple[int, ...]] = []
    chain: list[cst.CSTNode] = []

    class Names(cst.BatchableCSTVisitor):
        def __init__(self, out: list[tuple[int, ...]], parents: list[cst.CSTNode]) -> None:
            super().__init__()
            self.out, self.parents = out, parents

        def visit_Name(self, node: cst.Name) -> None:
            assert self.parents[-1] is node
            self.out.append(tuple(map(id, self.parents)))

    # libcst's walk, with the chain kept by before_visit/after_leave, is the reference.
    cst.visit_batched(module, [Names(expected, chain)], chain.append, lambda node: chain.pop())
    got: list[tuple[int, ...]] = []
    parents: list[cst.CSTNode] = []
    visit_batched(module, [Names(got, parents)], parents=parents)
    # The fast walk skips trivia, which never hold a Name: the chains are the same.
    assert got == expected and len(got) > 100
    assert parents == []
