"""The read path's walk (`prunelint.model.walk`): every node once, children in the order they are
written, field and decorator events in place, and positions in characters (`model.text`)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from prunelint.analysis.deepstack import with_deep_stack
from prunelint.model.text import SourceText
from prunelint.model.walk import iter_nodes, source_children, walk

ROOT = Path(__file__).resolve().parents[2]

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
'''

NEWER_SYNTAX = {(3, 12): "type Alias[T: int, *Ts, **P] = list[T]\ndef generic[T](x: T) -> T: ...\n"}

# What the walk leaves out: contexts and operators, which no rule asks about.
LEAVES = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)


class _Recorder:
    """Records every node's visit and leave."""

    def __init__(self) -> None:
        self.events: list[tuple[str, ast.AST]] = []

    def _visit(self, node: ast.AST) -> None:
        self.events.append(("visit", node))

    def _leave(self, node: ast.AST) -> None:
        self.events.append(("leave", node))


# The walk finds a visitor's methods on its class: one visit_ and leave_ per node class.
_NODE_CLASSES = [k for k in vars(ast).values() if isinstance(k, type) and issubclass(k, ast.AST)]
Everything = type(
    "Everything",
    (_Recorder,),
    {f"{event}_{k.__name__}": getattr(_Recorder, f"_{event}") for k in _NODE_CLASSES for event in ("visit", "leave")},
)


def sources() -> list[tuple[str, str]]:
    texts = [("every-syntax", EVERY_SYNTAX)]
    texts += [(f"python{v[0]}.{v[1]}", t) for v, t in NEWER_SYNTAX.items() if sys.version_info >= v]
    for path in sorted((ROOT / "prunelint").rglob("*.py")) + sorted((ROOT / "fixtures").rglob("*.py")):
        text = path.read_text("utf-8")
        try:
            ast.parse(text)
        except SyntaxError:
            continue  # fixtures of files that cannot be read
        texts.append((path.relative_to(ROOT).as_posix(), text))
    return texts


def _walked(tree: ast.AST) -> _Recorder:
    parents: list[ast.AST] = []
    recorder = Everything()
    walk(tree, [recorder], parents=parents)
    assert parents == []
    return recorder


@pytest.mark.parametrize("name,text", sources(), ids=[n for n, _ in sources()])
def test_every_node_is_visited_once_and_left_after_its_children(name: str, text: str) -> None:
    tree = ast.parse(text)
    recorder = _walked(tree)
    visits = [n for kind, n in recorder.events if kind == "visit"]
    expected = [n for n in ast.walk(tree) if not isinstance(n, LEAVES)]
    assert sorted(map(id, visits)) == sorted(map(id, expected))
    assert len(set(map(id, visits))) == len(visits)
    # Well nested: each leave closes the latest open visit.
    open_nodes: list[ast.AST] = []
    for kind, node in recorder.events:
        if kind == "visit":
            open_nodes.append(node)
        else:
            assert open_nodes.pop() is node
    assert open_nodes == []


@pytest.mark.parametrize("name,text", sources(), ids=[n for n, _ in sources()])
def test_children_come_in_the_order_they_are_written(name: str, text: str) -> None:
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, (ast.JoinedStr, ast.FormattedValue)) and sys.version_info < (3, 12):
            continue  # before 3.12, CPython gives the parts of an f-string the string's position
        starts = [(c.lineno, c.col_offset) for c in source_children(node) if hasattr(c, "lineno")]
        assert starts == sorted(starts), ast.dump(node)[:200]
    # The walk itself visits in that order: the pre-order of source_children.
    order = [n for kind, n in _walked(tree).events if kind == "visit"]
    assert [id(n) for n in order] == [id(n) for n in iter_nodes(tree) if not isinstance(n, LEAVES)]


def test_orders_that_differ_from_ast_fields() -> None:
    tree = ast.parse("@d\ndef f(a=x1, *, b: t=x2): pass\ny = x3 if x4 else x5\nc(x6, k=x7, *x8)\n{x9: x10, **x11}\n")
    names = [n.id for n in iter_nodes(tree) if isinstance(n, ast.Name) and n.id.startswith(("x", "d", "t"))]
    assert names == ["d", "x1", "t", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11"]


def test_field_hooks_wrap_their_children_and_decorators_are_announced() -> None:
    events: list[str] = []

    class Hooks:
        def visit_If_orelse(self, node: ast.If) -> None:
            events.append("orelse(")

        def leave_If_orelse(self, node: ast.If) -> None:
            events.append(")orelse")

        def visit_Name(self, node: ast.Name) -> None:
            events.append(node.id)

        def visit_decorator(self, expr: ast.expr) -> None:
            events.append("@")

    walk(ast.parse("@a\n@b.c\ndef f(): pass\nif x:\n    y\nelse:\n    z\n"), [Hooks()])
    assert events == ["@", "a", "@", "b", "x", "y", "orelse(", "z", ")orelse"]


def test_a_walk_past_the_recursion_limit_runs_on_a_deep_stack() -> None:
    terms = 2 * sys.getrecursionlimit()
    tree = ast.parse("x = " + "+".join(["1"] * terms))
    seen: list[int] = []

    class Constants:
        def visit_Constant(self, node: ast.Constant) -> None:
            seen.append(node.value)

    with pytest.raises(RecursionError):
        walk(tree, [Constants()])
    seen.clear()
    with_deep_stack(lambda: walk(tree, [Constants()]))
    assert len(seen) == terms
    assert sum(1 for _ in iter_nodes(tree)) > terms  # no recursion at all


def test_positions_count_characters_not_bytes() -> None:
    text = "s = 'Grüße → 東京'; f(x)\r\ng = 'ü'\n"
    tree = ast.parse(text)
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    source = SourceText(text)
    assert call.col_offset > text.index("f(x)")  # CPython's column is in UTF-8 bytes
    assert (source.start(call).column, source.end(call).column) == (text.index("f(x)") + 1, text.index("f(x)") + 5)
    assert source.segment(call) == "f(x)"
    second = tree.body[-1].value
    assert source.start(second).row == 2 and source.segment(second) == "'ü'"
