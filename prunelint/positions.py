"""Line and column of a few nodes, without resolving libcst's PositionProvider for the whole file.

libcst's PositionProvider writes the module out again and builds two position objects for every
node of it; for a file with one finding that cost as much as parsing it. Findings need the
ranges of a handful of nodes, so this writes the module out with libcst's own code generator,
records positions only for the nodes asked for, and stops as soon as the last of them is
written. The ranges are PositionProvider's (syntactic where libcst records one, otherwise
whitespace-inclusive), which `tests/lint/test_positions.py` checks node for node.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Iterable, Iterator

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodePosition, CodeRange

# libcst's own line breaks (position_provider.NEWLINE_RE): "\r\n", a lone "\r", or "\n".
_NEWLINE = re.compile(r"\r\n?|\n")
_NOT_RECORDED = nullcontext()


class _Finished(Exception):
    """Every node asked for has its range: the rest of the file need not be written."""


class _RecordingState(CodegenState):
    """A code generator state that records the ranges of the `wanted` nodes only."""

    def __init__(self, module: cst.Module, wanted: Iterable[cst.CSTNode]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        # By id: libcst nodes hash in Python, and these sets are asked about every node written.
        self.wanted: set[int] = {id(node) for node in wanted}
        self.ranges: dict[cst.CSTNode, CodeRange] = {}
        self._open = set(self.wanted)  # wanted, and not written out yet
        self._starts: dict[cst.CSTNode, CodePosition] = {}
        self._line = 1
        self._column = 0
        self._counted = 0  # how many tokens _line and _column include

    def _here(self) -> CodePosition:
        """The position after the last token written, counted as libcst counts it."""
        tokens = self.tokens
        if self._counted < len(tokens):
            chunk = tokens[self._counted :]
            self._counted = len(tokens)
            text = "".join(chunk)
            if "\r" in text:
                # libcst counts token by token: a "\r" token and a "\n" token are two breaks.
                for token in chunk:
                    self._advance(token)
            else:
                self._advance(text)
        return CodePosition(self._line, self._column)

    def _advance(self, text: str) -> None:
        segments = _NEWLINE.split(text)
        if len(segments) == 1:
            self._column += len(text)
        else:
            self._line += len(segments) - 1
            self._column = len(segments[-1])

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self._open:
            self._starts[node] = self._here()

    def after_codegen(self, node: cst.CSTNode) -> None:
        if id(node) not in self._open:
            return
        if node not in self.ranges:  # no syntactic range: the whitespace-inclusive one
            self.ranges[node] = CodeRange(self._starts[node], self._here())
        self._open.discard(id(node))
        if not self._open:
            raise _Finished

    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> AbstractContextManager[None]:
        if id(node) not in self._open:
            return _NOT_RECORDED
        return self._record(node, start_node, end_node)

    @contextmanager
    def _record(
        self, node: cst.CSTNode, start_node: cst.CSTNode | None, end_node: cst.CSTNode | None
    ) -> Iterator[None]:
        # The range may be hoisted from children, which are written inside this block.
        for child in (start_node, end_node):
            if child is not None and id(child) not in self.wanted:
                self.wanted.add(id(child))
                self._open.add(id(child))
        start = self._here()
        try:
            yield
        finally:
            end = self._here()
            if start_node is not None:
                start = self.ranges[start_node].start
            if end_node is not None:
                end = self.ranges[end_node].end
            self.ranges[node] = CodeRange(start, end)

    def pop_trailing_newline(self) -> None:
        # libcst counts the popped newline into the module's end position: so do we.
        self._here()
        super().pop_trailing_newline()
        self._counted = len(self.tokens)


def node_ranges(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[cst.CSTNode, CodeRange]:
    """PositionProvider's range of each of `nodes` (all in `module`'s tree)."""
    asked = list(nodes)
    state = _RecordingState(module, asked)
    if asked:
        try:
            module._codegen(state)
        except _Finished:
            pass
    return {node: state.ranges[node] for node in asked if node in state.ranges}
