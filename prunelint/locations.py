"""Spans for the node ordinals that facts carry, computed only for files that need them."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from prunelint.analysis.collector import LocatedNodes
from prunelint.analysis.facts import Loc, Span
from prunelint.deepstack import with_deep_stack
from prunelint.diagnostics import Position


class _Positions(LocatedNodes):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        super().__init__()
        self.spans: list[Span] = []

    def _record(self, node: cst.CSTNode) -> None:
        rng = self.get_metadata(PositionProvider, node)
        self.spans.append(
            Span(Position(rng.start.line, rng.start.column + 1), Position(rng.end.line, rng.end.column + 1))
        )

    def _call(self, node: cst.Call, loc: Loc) -> None:
        self._record(node)

    def _decorator(self, node: cst.Decorator, loc: Loc) -> None:
        self._record(node.decorator)

    def _with_item(self, node: cst.WithItem, loc: Loc) -> None:
        self._record(node.item)


def span_table(text: str) -> list[Span]:
    """The span of every located node of a file that has already parsed once."""
    def work() -> list[Span]:
        visitor = _Positions()
        MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True).visit_batched([visitor])
        return visitor.spans

    return with_deep_stack(work)
