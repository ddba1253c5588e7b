"""Spans for the node ordinals that facts carry, computed only for files that need them.

A finding reported through another file's facts (PRL001 across modules) names a node by its
ordinal; the main process parses that file once more (`Reparsed`), and writes out only the
statements that hold the nodes asked for.
"""

from __future__ import annotations

import ast
from typing import Iterable

import libcst as cst
from libcst.metadata import CodeRange

from prunelint.analysis.collector import LocatedNodes
from prunelint.analysis.facts import Loc, Span
from prunelint.analysis.deepstack import with_deep_stack
from prunelint.diagnostics import Position
from prunelint.analysis.parse import parse_module, python_parse
from prunelint.analysis.positions import StatementLines, node_ranges
from prunelint.io.source import Source
from prunelint.analysis.traversal import visit_batched


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


class Reparsed:
    """A file that has already been analysed once, parsed again for positions and fixes."""

    def __init__(self, text: str) -> None:
        self.text = text

        def work() -> tuple[cst.Module, list[cst.CSTNode]]:
            module = parse_module(text)
            located = _Located()
            visit_batched(module, [located])
            return module, located.nodes

        self.module, self._nodes = with_deep_stack(work)
        self._lines = _statement_lines(text)
        self._spans: dict[Loc, Span] = {}

    def walk(self, visitors: Iterable[cst.BatchableCSTVisitor]) -> None:
        with_deep_stack(lambda: visit_batched(self.module, visitors))

    def ranges(self, nodes: Iterable[cst.CSTNode]) -> dict[cst.CSTNode, CodeRange]:
        """`node_ranges` of nodes of this file: PositionProvider's ranges, 0-based columns."""
        wanted = list(nodes)
        return with_deep_stack(lambda: node_ranges(self.module, wanted, self._lines))

    def span(self, loc: Loc) -> Span:
        """The span of the node with this ordinal (a call, a decorator, a with-item)."""
        if loc not in self._spans:
            node = self._nodes[loc]
            r = self.ranges([node])[node]
            self._spans[loc] = Span(Position(r.start.line, r.start.column + 1), Position(r.end.line, r.end.column + 1))
        return self._spans[loc]


def _statement_lines(text: str) -> StatementLines | None:
    """None where CPython cannot parse the text here: positions then write the whole file."""
    tree = python_parse(Source("<reparsed>", "<reparsed>", text))
    return StatementLines.from_tree(text, tree) if isinstance(tree, ast.Module) else None
