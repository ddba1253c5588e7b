"""Spans for the node ordinals that facts carry, computed only for files that need them."""

from __future__ import annotations

import libcst as cst

from prunelint.analysis.collector import LocatedNodes
from prunelint.analysis.facts import Loc, Span
from prunelint.deepstack import with_deep_stack
from prunelint.diagnostics import Position
from prunelint.parsing import parse_module
from prunelint.positions import node_ranges
from prunelint.traversal import visit_batched


class _Located(LocatedNodes):
    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[cst.CSTNode] = []

    def _record(self, node: cst.CSTNode) -> None:
        self.nodes.append(node)

    def _call(self, node: cst.Call, loc: Loc) -> None:
        self._record(node)

    def _decorator(self, node: cst.Decorator, loc: Loc) -> None:
        self._record(node.decorator)

    def _with_item(self, node: cst.WithItem, loc: Loc) -> None:
        self._record(node.item)


def span_table(text: str) -> list[Span]:
    """The span of every located node of a file that has already parsed once."""
    def work() -> list[Span]:
        visitor = _Located()
        module = parse_module(text)
        visit_batched(module, [visitor])
        ranges = node_ranges(module, visitor.nodes)
        return [
            Span(Position(r.start.line, r.start.column + 1), Position(r.end.line, r.end.column + 1))
            for r in map(ranges.__getitem__, visitor.nodes)
        ]

    return with_deep_stack(work)
