"""Positions and source text of `ast` nodes, in the terms findings use.

CPython counts columns in UTF-8 bytes; findings (as ruff's, and as libcst's positions did) count
characters. Lines are split as the parser splits them, and a line's bytes are decoded only for a
line that is not ASCII.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import token
import tokenize
from itertools import accumulate
from typing import NamedTuple

from prunelint.diagnostics import Position

# The parser's line breaks: "\r\n", a lone "\r", or "\n".
_NEWLINE = re.compile(r"\r\n?|\n")


class Span(NamedTuple):
    """A range to report on that is no node of the tree (positions as `ast` gives them)."""

    lineno: int
    col_offset: int
    end_lineno: int
    end_col_offset: int


_TRIVIA = (token.COMMENT, token.NL, token.NEWLINE, token.INDENT, token.DEDENT, token.ENCODING, token.ENDMARKER)
# A `(` after one of these opens a call's arguments (or a class's bases), not a parenthesised
# expression: libcst gives those parentheses to the call.
_CALLEE_TYPES = tuple(t for t in (token.NAME, token.NUMBER, token.STRING, getattr(token, "FSTRING_END", None)) if t)


class SourceText:
    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None  # offset of each line's first character
        self._tokens: list[tokenize.TokenInfo] | None = None  # read for a node's parentheses
        self._token_starts: dict[tuple[int, int], int] = {}
        self._token_ends: dict[tuple[int, int], int] = {}

    def _line_starts(self) -> list[int]:
        if self._starts is None:
            text = self.text
            if "\r" in text:
                starts = [0]
                starts.extend(m.end() for m in _NEWLINE.finditer(text))
            else:  # only "\n" breaks lines: each line's length, one break after it, summed
                starts = list(accumulate((len(line) + 1 for line in text.split("\n")), initial=0))
                starts.pop()  # past the last line, which has no break after it
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
        code = self.segment(node)
        if _one_line_literal(code):
            return [code]
        try:
            tokens = tokenize.generate_tokens(io.StringIO(f"({code})").readline)
            return [t.string for t in tokens if t.type == tokenize.STRING]
        except (tokenize.TokenError, SyntaxError):
            return None

    # -- parentheses: `ast` leaves a node's own parentheses out of its span; libcst's code of a
    # node (what messages quote) holds them. The file's tokens are read only when a message asks.

    def parenthesized(self, node: ast.AST) -> tuple[int, int]:
        """Character offsets of the node's code with the parentheses written around it (and
        what lies between them: comments, line breaks); a call's own parentheses are not the
        node's."""
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        rest = self.text[end:].lstrip(" \t\f\r\n\\")
        if not rest.startswith((")", "#")):
            return start, end  # no parenthesis can close after it
        found = self._token_indices(node)
        if found is None:
            return start, end
        tokens = self._read_tokens()
        first, last = found
        while (
            first > 0
            and last + 1 < len(tokens)
            and tokens[first - 1].string == "("
            and tokens[last + 1].string == ")"
            and not (first > 1 and _callee(tokens[first - 2]))
        ):
            first, last = first - 1, last + 1
        return self._token_offset(*tokens[first].start), self._token_offset(*tokens[last].end)

    def inside_parentheses(self, node: ast.AST) -> Span | None:
        """The range of what a node's first and last tokens enclose, when they are `(` and `)`
        (a generator expression's, which `ast` counts as the node's own)."""
        found = self._token_indices(node)
        if found is None:
            return None
        tokens = self._read_tokens()
        first, last = found
        if last - first < 2 or tokens[first].string != "(" or tokens[last].string != ")":
            return None
        (row, column), (end_row, end_column) = tokens[first + 1].start, tokens[last - 1].end
        return Span(row, self._bytes(row, column), end_row, self._bytes(end_row, end_column))

    def _read_tokens(self) -> list[tokenize.TokenInfo]:
        if self._tokens is None:
            lines = iter([line + "\n" for line in _NEWLINE.split(self.text)])
            found: list[tokenize.TokenInfo] = []
            try:
                for tok in tokenize.generate_tokens(lambda: next(lines, "")):
                    if tok.type not in _TRIVIA:
                        found.append(tok)
            except (tokenize.TokenError, SyntaxError):
                found = []
            self._tokens = found
            for index, tok in enumerate(found):
                self._token_starts[tok.start] = index
                self._token_ends[tok.end] = index
        return self._tokens

    def _token_indices(self, node: ast.AST) -> tuple[int, int] | None:
        start = (node.lineno, self.column(node.lineno, node.col_offset))  # type: ignore[attr-defined]
        end = (node.end_lineno, self.column(node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]
        self._read_tokens()
        first, last = self._token_starts.get(start), self._token_ends.get(end)
        return None if first is None or last is None else (first, last)

    def _token_offset(self, row: int, column: int) -> int:
        return self._line_starts()[row - 1] + column

    def _bytes(self, row: int, column: int) -> int:
        return len(self.line(row)[:column].encode("utf-8"))


_STRING_PREFIX = frozenset("rRuUbBfF")


def _one_line_literal(code: str) -> bool:
    """Whether `code`, the code of a string constant, is one literal on one line (`"ab"`,
    `r'a\\'b'`): its quote closes at its last character. The common case, told without
    Python's tokenizer (which compiles its patterns on first use, in every process); anything
    else (a concatenation, a triple quote, a line break) is left to the tokenizer."""
    start = 0
    while start < len(code) and code[start] in _STRING_PREFIX and start < 2:
        start += 1
    if start + 1 >= len(code) or code[start] not in "'\"" or "\n" in code or "\r" in code:
        return False
    quote = code[start]  # a triple quote closes early too: its second character
    index = start + 1
    end = len(code) - 1
    while index < end:
        char = code[index]
        if char == "\\":
            index += 2
            continue
        if char == quote:
            return False  # it closes early: more code follows
        index += 1
    return index == end and code[end] == quote


def _callee(tok: tokenize.TokenInfo) -> bool:
    if tok.type == token.NAME:
        return not keyword.iskeyword(tok.string)
    return tok.type in _CALLEE_TYPES or tok.string in (")", "]", "}")
