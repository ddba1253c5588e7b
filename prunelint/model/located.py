"""The nodes that facts name by ordinal: calls, decorators and with-items, in source order.

Positions cost more than counting, and are needed only for the few nodes that end up in a
message, so a fact names a node by how many of these nodes the walk met before it. The same walk
of the same tree gives the same ordinals, in a worker and again in the main process.
"""

from __future__ import annotations

import ast

from prunelint.analysis.facts import Loc


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
