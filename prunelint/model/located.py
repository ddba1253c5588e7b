"""The nodes that facts name by ordinal: calls, decorators and with-items, in source order.

Positions cost more than counting, and are needed only for the few nodes that end up in a
message, so a fact names a node by how many of these nodes the walk met before it. The same walk
of the same tree gives the same ordinals, in a worker and again in the main process.
"""

from __future__ import annotations

import ast

from prunelint.analysis.deepstack import with_deep_stack
from prunelint.analysis.facts import Loc, Span
from prunelint.analysis.parse import python_parse
from prunelint.io.source import Source
from prunelint.model.text import SourceText
from prunelint.model.walk import walk


class LocatedNodes:
    """Counts the located nodes; subclasses act on them in `_call`, `_decorator`, `_with_item`."""

    def __init__(self) -> None:
        self.count = -1

    def _next(self) -> Loc:
        self.count += 1
        return self.count

    def visit_Call(self, node: ast.Call) -> None:
        self._call(node, self._next())

    def visit_decorator(self, node: ast.expr) -> None:
        self._decorator(node, self._next())

    def visit_withitem(self, node: ast.withitem) -> None:
        self._with_item(node, self._next())

    def _call(self, node: ast.Call, loc: Loc) -> None:
        pass

    def _decorator(self, node: ast.expr, loc: Loc) -> None:
        pass

    def _with_item(self, node: ast.withitem, loc: Loc) -> None:
        pass


class _Recorded(LocatedNodes):
    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[ast.AST] = []

    def _call(self, node: ast.Call, loc: Loc) -> None:
        self.nodes.append(node)

    def _decorator(self, node: ast.expr, loc: Loc) -> None:
        self.nodes.append(node)

    def _with_item(self, node: ast.withitem, loc: Loc) -> None:
        self.nodes.append(node.context_expr)


class LocatedFile:
    """A file that has already been analysed, parsed again (by CPython: cheap, and linear in the
    file) for the positions and fixes of the findings that name its nodes by ordinal."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.source = SourceText(text)
        tree = python_parse(Source("<located>", "<located>", text))
        if not isinstance(tree, ast.Module):  # the analysis parsed this very text
            raise ValueError(f"a file that was analysed no longer parses: {tree.message}")
        self.tree = tree
        recorded = _Recorded()
        with_deep_stack(lambda: walk(self.tree, [recorded]))
        self._nodes = recorded.nodes

    def node(self, loc: Loc) -> ast.AST:
        return self._nodes[loc]

    def span(self, loc: Loc) -> Span:
        """The span of the node with this ordinal (a call, a decorator, a with-item's context)."""
        node = self._nodes[loc]
        return Span(self.source.start(node), self.source.end(node))
