"""The one place that parses Python: CPython's compiler for the verdict and libcst for the tree.

libcst's parser runs without the field checks meant for hand-built nodes.

Every libcst node checks its fields as it is built (`CSTNode.__post_init__` calls `_validate`):
that a `Name` is an identifier, that parentheses pair up, that whitespace is whitespace. Those
checks catch mistakes in trees that code builds by hand. The parser builds nodes only as its
grammar allows, and libcst's own comment on `__post_init__` says the checks are wasted work
while parsing. On dense code they are a tenth of the parse.

The checks are off only while one parse runs, and back on before `parse_module` returns or
raises. The fixer's last check before it writes a file still uses libcst's own, validating
parse. `tests/lint/test_parsing.py` compares the trees with libcst's on every fixture and
module of the repository and on generated programs.
"""

from __future__ import annotations

import ast
import warnings

from prunelint.analysis.deepstack import with_deep_stack
from prunelint.analysis.lazy import cst
from prunelint.diagnostics import Diagnostic
from prunelint.io.source import Source, file_error


def _unchecked(node: object) -> None:
    pass


def parse_module(text: str) -> "cst.Module":
    """`libcst.parse_module(text)`: the same tree and the same errors, built faster."""
    # Swapped for the parse only. A check of which thread is parsing, made in every node's
    # constructor, would cost half of what skipping the checks saves; and prunelint builds no
    # nodes in another thread while it parses.
    node_class = cst.CSTNode
    checks = node_class.__dict__.get("__post_init__")
    if checks is None:  # a libcst that checks its nodes elsewhere: parse as it parses
        return cst.parse_module(text)
    node_class.__post_init__ = _unchecked  # type: ignore[method-assign]
    try:
        return cst.parse_module(text)
    finally:
        node_class.__post_init__ = checks  # type: ignore[method-assign]


def python_rejects(source: Source) -> Diagnostic | None:
    """CPython's own verdict, first: it gives exact syntax-error positions, and it refuses
    nesting that would overflow the stack of libcst's native parser (a crash, not an error)."""
    verdict = python_parse(source)
    return verdict if isinstance(verdict, Diagnostic) else None


def python_parse(source: Source) -> ast.Module | Diagnostic:
    """CPython's tree of the file, or why it has none."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. invalid escape sequences: not our business
            return compile(source.text, source.filename, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        row = exc.lineno or 1
        return file_error(source.filename, f"syntax error: {exc.msg}", row, exc.offset or 1)
    except (RecursionError, MemoryError):
        return file_error(source.filename, "too deeply nested for Python to compile")
    except (ValueError, OverflowError) as exc:
        return file_error(source.filename, f"cannot compile: {exc}")


def parses(text: str, filename: str) -> bool:
    """The same two checks a file passes before it is analysed: CPython's compiler and libcst."""
    if python_rejects(Source(filename, filename, text)) is not None:
        return False
    try:
        with_deep_stack(lambda: cst.parse_module(text))
    except (cst.ParserSyntaxError, RecursionError):
        return False
    return True
