"""The one place that parses Python: CPython's compiler, which every file is read with.

Its tree is the one the analysis walks (`prunelint.engine.step`); the same compile tells a file
that cannot be read, with CPython's exact syntax-error positions. libcst parses a file only for
a third-party rule written over its tree (`libcst_module`).
"""

from __future__ import annotations

import ast
import warnings
from typing import TYPE_CHECKING

from prunelint.diagnostics import Diagnostic
from prunelint.io.source import Source, file_error

if TYPE_CHECKING:
    import libcst


def libcst_module(text: str) -> "libcst.Module":
    """libcst's own tree of the text (its parser, with its own checks), for a `CstRule`."""
    import libcst

    return libcst.parse_module(text)


def python_rejects(source: Source) -> Diagnostic | None:
    """CPython's own verdict: exact syntax-error positions, and nesting too deep to compile
    refused (which also keeps it from libcst's native parser, where it would crash)."""
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
    """The check a file passes before it is analysed: CPython's compiler."""
    return python_rejects(Source(filename, filename, text)) is None
