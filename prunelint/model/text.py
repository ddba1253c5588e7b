"""Positions and source text of `ast` nodes, in the terms findings use.

CPython counts columns in UTF-8 bytes; findings (as ruff's, and as libcst's positions did) count
characters. Lines are split as the parser splits them, and a line's bytes are decoded only for a
line that is not ASCII.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

from prunelint.diagnostics import Position

# The parser's line breaks: "\r\n", a lone "\r", or "\n".
_NEWLINE = re.compile(r"\r\n?|\n")


class SourceText:
    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None  # offset of each line's first character

    def _line_starts(self) -> list[int]:
        if self._starts is None:
            starts = [0]
            starts.extend(m.end() for m in _NEWLINE.finditer(self.text))
            self._starts = starts
        return self._starts

    def line(self, row: int) -> str:
        """Line `row` (1-based), without its line break."""
        starts = self._line_starts()
        if not 1 <= row <= len(starts):
            return ""
        end = starts[row] if row < len(starts) else len(self.text)
        return self.text[starts[row - 1] : end].rstrip("\r\n")

    def column(self, row: int, byte_offset: int) -> int:
        """The 0-based character column of a byte offset on line `row`."""
        line = self.line(row)
        if line.isascii():
            return byte_offset
        return len(line.encode("utf-8")[:byte_offset].decode("utf-8", "replace"))

    def offset(self, row: int, byte_offset: int) -> int:
        """The character offset in the text of a parser position."""
        return self._line_starts()[row - 1] + self.column(row, byte_offset)

    def start(self, node: ast.AST) -> Position:
        return Position(node.lineno, self.column(node.lineno, node.col_offset) + 1)

    def end(self, node: ast.AST) -> Position:
        return Position(node.end_lineno, self.column(node.end_lineno, node.end_col_offset) + 1)

    def segment(self, node: ast.AST) -> str:
        """The node's code as written (without parentheses around it)."""
        start = self.offset(node.lineno, node.col_offset)
        end = self.offset(node.end_lineno, node.end_col_offset)
        return self.text[start:end]

    def indent_of(self, row: int) -> str:
        line = self.line(row)
        return line[: len(line) - len(line.lstrip(" \t"))]

    def string_tokens(self, node: ast.AST) -> list[str] | None:
        """The string literals the node's code is written as: one for `"ab"`, two for the
        implicit concatenation `"a" "b"`, which CPython's tree holds as one constant (libcst's
        tree as two). None where the code does not tokenize on its own."""
        try:
            tokens = tokenize.generate_tokens(io.StringIO(f"({self.segment(node)})").readline)
            return [t.string for t in tokens if t.type == tokenize.STRING]
        except (tokenize.TokenError, SyntaxError):
            return None
