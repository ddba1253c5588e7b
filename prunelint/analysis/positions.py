"""Line and column of a few nodes, without resolving libcst's PositionProvider for the whole file.

libcst's PositionProvider writes the module out again and builds two position objects for every
node of it; for a file with one finding that cost as much as parsing it. Findings need the
ranges of a handful of nodes, so this writes the module out with libcst's own code generator,
records positions only for the nodes asked for, and stops as soon as the last of them is
written. The ranges are PositionProvider's (syntactic where libcst records one, otherwise
whitespace-inclusive), which `tests/lint/test_positions.py` checks node for node.

Given where each top-level statement starts (`StatementLines`, from the CPython AST the file was
checked with anyway), it writes out only the statements that hold a node asked for: finding the
nodes in a statement costs a fraction of writing it out. Each statement written is compared, whole,
with the source text at the line it was placed on; on any disagreement the whole module is
written instead.
"""

from __future__ import annotations

import ast
import functools
import re
import warnings
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Iterable, Iterator

import libcst as cst
try:
    from libcst._nodes.internal import CodegenState
except ImportError:  # a libcst without it: node_ranges falls back to PositionProvider
    CodegenState = object  # type: ignore[misc,assignment]
from libcst.metadata import CodePosition, CodeRange, PositionProvider

from prunelint.analysis.traversal import (
    LibcstDriftWarning,
    child_fields,
    is_trivia,
    libcst_version,
    trivia_only_fields,
)

# libcst's own line breaks (position_provider.NEWLINE_RE): "\r\n", a lone "\r", or "\n".
_NEWLINE = re.compile(r"\r\n?|\n")
_NOT_RECORDED = nullcontext()


class _Finished(Exception):
    """Every node asked for has its range: the rest of the file need not be written."""


class _RecordingState(CodegenState):
    """A code generator state that records the ranges of the `wanted` nodes only."""

    def __init__(self, module: cst.Module, wanted: Iterable[cst.CSTNode], stop_early: bool = True) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.stop_early = stop_early
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
        if not self._open and self.stop_early:
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

    def restart(self, line: int) -> None:
        """Write the next statement as if it began at column 0 of `line`."""
        self.tokens.clear()
        self._counted = 0
        self._line = line
        self._column = 0

    def pop_trailing_newline(self) -> None:
        # libcst counts the popped newline into the module's end position: so do we.
        self._here()
        super().pop_trailing_newline()
        self._counted = len(self.tokens)


@dataclass(frozen=True)
class StatementLines:
    """A file's text, and the first line of each of its top-level statements as CPython's AST
    counts them (a decorated definition starts at its first decorator)."""

    text: str
    first_lines: tuple[int, ...]

    @classmethod
    def from_tree(cls, text: str, tree: ast.Module) -> "StatementLines":
        return cls(
            text,
            tuple(
                min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
                for stmt in tree.body
            ),
        )

    def starts(self, module: cst.Module) -> list[int] | None:
        """The line each libcst statement's code starts on, its leading blank and comment lines
        included; None where the two trees do not pair up statement for statement."""
        starts: list[int] = []
        index = 0
        for stmt in module.body:
            if index >= len(self.first_lines):
                return None
            starts.append(self.first_lines[index] - len(stmt.leading_lines))
            # `a = 1; b = 2` is one libcst statement, and two of CPython's.
            index += len(stmt.body) if type(stmt) is cst.SimpleStatementLine else 1
        return starts if index == len(self.first_lines) else None

    @functools.cached_property
    def line_offsets(self) -> list[int]:
        """Where each line starts in the text, lines broken as libcst breaks them."""
        return [0, *(match.end() for match in _NEWLINE.finditer(self.text))]


def node_ranges(
    module: cst.Module, nodes: Iterable[cst.CSTNode], lines: StatementLines | None = None
) -> dict[cst.CSTNode, CodeRange]:
    """PositionProvider's range of each of `nodes` (all in `module`'s tree). With the `lines`
    of the text `module` was parsed from, only the statements that hold them are written."""
    asked = list(nodes)
    if not asked:
        return {}
    try:
        return _recorded_ranges(module, asked, lines)
    except (AttributeError, TypeError) as exc:
        # The recording state subclasses libcst's private code generator state: a libcst that
        # changed it gets PositionProvider, the public (and slower) way to the same ranges.
        warnings.warn(
            f"libcst {libcst_version()} writes code in a way prunelint was not tested with "
            f"({type(exc).__name__}: {exc}): positions come from its PositionProvider",
            LibcstDriftWarning,
            stacklevel=2,
        )
        positions = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        return {node: positions[node] for node in asked if node in positions}


def _recorded_ranges(
    module: cst.Module, asked: list[cst.CSTNode], lines: StatementLines | None
) -> dict[cst.CSTNode, CodeRange]:
    if lines is not None:
        ranges = _ranges_by_statement(module, asked, lines)
        if ranges is not None:
            return ranges
    state = _RecordingState(module, asked)
    try:
        module._codegen(state)
    except _Finished:
        pass
    return {node: state.ranges[node] for node in asked if node in state.ranges}


def _ranges_by_statement(
    module: cst.Module, asked: list[cst.CSTNode], lines: StatementLines
) -> dict[cst.CSTNode, CodeRange] | None:
    starts = lines.starts(module)
    if starts is None:
        return None
    # Each statement is written whole, so that all of its text is compared with the source.
    state = _RecordingState(module, asked, stop_early=False)
    skip_trivia = not any(is_trivia(type(node)) for node in asked)
    offsets = lines.line_offsets
    for stmt, start in zip(module.body, starts):
        if not state._open:
            break
        if not 1 <= start <= len(offsets) or not _holds(stmt, state._open, skip_trivia):
            continue
        state.restart(start)
        stmt._codegen(state)
        if not lines.text.startswith("".join(state.tokens), offsets[start - 1]):
            return None
    if state._open:  # in the module's header or footer, or not in this tree at all
        return None
    return {node: state.ranges[node] for node in asked}


def _holds(root: cst.CSTNode, ids: set[int], skip_trivia: bool) -> bool:
    """Whether any node in `root`'s tree has one of these ids."""
    fields = _searched_fields_skipping_trivia if skip_trivia else _searched_fields
    stack: list = [root]
    while stack:
        node = stack.pop()
        if id(node) in ids:
            return True
        # Values that are not nodes (None, strings, sentinels) have no fields to search: no
        # isinstance here, which on libcst's abstract classes costs more than the search.
        for name in fields(type(node)):
            value = getattr(node, name)
            if type(value) is tuple or type(value) is list:
                stack.extend(value)
            else:
                stack.append(value)
    return False


@functools.cache
def _searched_fields(kind: type) -> tuple[str, ...]:
    return tuple(name for name, _ in child_fields(kind)) if issubclass(kind, cst.CSTNode) else ()


@functools.cache
def _searched_fields_skipping_trivia(kind: type) -> tuple[str, ...]:
    if not issubclass(kind, cst.CSTNode) or is_trivia(kind):
        return ()
    skipped = trivia_only_fields(kind)
    return tuple(name for name, _ in child_fields(kind) if name not in skipped)
