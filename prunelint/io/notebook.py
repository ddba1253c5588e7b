"""Jupyter notebooks as one virtual Python source, and findings mapped back to their cells.

The code cells are joined in order, so that an import in cell 1 resolves in cell 5, as it does
in a kernel that ran the cells top to bottom. Every cell line is one virtual line: IPython
syntax (`%magic`, `%%cell_magic`, `!shell`, `obj?`) is replaced on its own line, never removed,
so rows map back one to one. Cells are numbered as notebook front ends show them, and as ruff
does: 1-based, counting every cell, markdown and raw ones included.

A notebook is never rewritten: findings in a notebook carry no fix.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from dataclasses import dataclass, replace
from typing import Any, Iterable, NamedTuple, Sequence

from prunelint.diagnostics import Diagnostic, Position
from prunelint.io.cells import CellMap
from prunelint.io.source import Source, file_error, read_bytes

NOTEBOOK_SUFFIX = ".ipynb"

# Cell magics whose body IPython runs as Python in the notebook's namespace. Any other cell
# magic (%%bash, %%writefile, %%html, %%python in a subprocess, ...) holds something else.
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
# Line magics followed by a Python statement that runs in the namespace: `%time pruner.step()`.
_PYTHON_LINE_MAGICS = frozenset({"time", "timeit", "prun"})
# IPython's escapes at the start of a logical line: magics, shell, help, autocall.
_ESCAPES = ("%", "!", "?", "/", ",", ";")
_HELP_SUFFIX = re.compile(r"[%!]*[A-Za-z_][\w.\[\]]*\?{1,2}")
_ASSIGNED_ESCAPE = re.compile(
    r"(?P<target>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*[%!]"
)
_LINE_MAGIC = re.compile(r"%(?P<name>\w+)[ \t]+(?P<payload>\S.*)")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def is_notebook(filename: str) -> bool:
    return filename.lower().endswith(NOTEBOOK_SUFFIX)


class Notebook(NamedTuple):
    source: Source  # the virtual Python source; its `cells` is the map back
    # Findings about single cells that are not in the virtual source (a syntax error), already
    # located in their cell.
    cell_errors: tuple[Diagnostic, ...] = ()

    @property
    def cell_map(self) -> CellMap:
        assert self.source.cells is not None
        return self.source.cells


def relocate(diagnostics: Iterable[Diagnostic], cell_map: CellMap) -> list[Diagnostic]:
    """Findings on virtual rows become findings in cells; fixes are dropped (see the module)."""
    out: list[Diagnostic] = []
    for diagnostic in diagnostics:
        if diagnostic.cell is not None:
            out.append(diagnostic)
            continue
        start = cell_map.locate(diagnostic.location)
        if start is None:  # not on a cell row (a whole-file finding): leave it
            out.append(diagnostic)
            continue
        cell, location = start
        end = cell_map.locate(diagnostic.end_location)
        end_location = end[1] if end is not None and end[0] == cell else location
        out.append(in_cell(replace(diagnostic, fix=None), cell, location, end_location))
    return out


def in_cell(diagnostic: Diagnostic, cell: int, location: Position, end_location: Position) -> Diagnostic:
    return replace(
        diagnostic,
        cell=cell,
        location=location,
        end_location=end_location,
        display_location=f"{diagnostic.filename}:cell {cell}:line {location.row}:{location.column}",
    )


def read_notebook(path: str, filename: str, limit: int | None = None) -> Notebook | Diagnostic:
    data = read_bytes(path, filename, "a notebook", limit)
    return data if isinstance(data, Diagnostic) else parse_notebook(data, filename, path)


def parse_notebook(data: bytes, filename: str, path: str) -> Notebook | Diagnostic:
    """Every way a notebook can be malformed is a PRL000 finding, never an exception."""
    if b"\x00" in data:
        return file_error(filename, "binary file (contains a NUL byte): not a Jupyter notebook")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        return file_error(filename, f"not a Jupyter notebook: not valid UTF-8 ({exc.reason})", row)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return file_error(filename, f"not a Jupyter notebook: invalid JSON: {exc.msg}", exc.lineno, exc.colno)
    except RecursionError:
        return file_error(filename, "not a Jupyter notebook: JSON nested too deeply")
    cells = _cells(document)
    if isinstance(cells, str):
        return file_error(filename, f"not a Jupyter notebook: {cells}")
    return _build(cells, _is_python(document), filename, path)


def _cells(document: Any) -> list[tuple[str, str]] | str:
    """(cell type, source) for each cell, or what is wrong with the notebook's shape."""
    if not isinstance(document, dict):
        return "the top level is not a JSON object"
    version = document.get("nbformat")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        return "`nbformat` is not a number"
    if isinstance(version, int) and version < 4:
        return f"nbformat {version} is not supported (convert it with `jupyter nbconvert --to notebook`)"
    cells = document.get("cells")
    if cells is None:
        return "no `cells` list"
    if not isinstance(cells, list):
        return "`cells` is not a list"
    found: list[tuple[str, str]] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            return f"cell {number} is not a JSON object"
        kind = cell.get("cell_type")
        if not isinstance(kind, str):
            return f"cell {number} has no `cell_type`"
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)
        if not isinstance(source, str):
            return f"the `source` of cell {number} is neither a string nor a list of strings"
        found.append((kind, source))
    return found


def _is_python(document: dict[str, Any]) -> bool:
    """Notebooks of other kernels (R, Julia, ...) hold no Python to lint."""
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return True
    for table, key in (("language_info", "name"), ("kernelspec", "language")):
        entry = metadata.get(table)
        if isinstance(entry, dict) and isinstance(entry.get(key), str):
            return entry[key].lower() == "python"
    return True


def _build(cells: Sequence[tuple[str, str]], python: bool, filename: str, path: str) -> Notebook:
    lines: list[str] = []
    cell_numbers: list[int] = []
    rows: list[int] = []
    shifts: list[int] = []
    errors: list[Diagnostic] = []
    for number, (kind, source) in enumerate(cells, start=1):
        if not python or kind != "code":
            continue
        cell_lines = _split(source)
        converted = python_lines(cell_lines)
        if converted is None:  # a cell magic whose body is not Python
            continue
        text = "".join(line for line, _ in converted)
        rejected = _cell_syntax_error(text)
        if rejected is not None:
            message, row, column = rejected
            shift = converted[row - 1][1] if 0 < row <= len(converted) else 0
            error = file_error(filename, message, row, column)
            position = Position(row, column + shift)
            errors.append(in_cell(error, number, position, position))
            continue
        for row, (line, shift) in enumerate(converted, start=1):
            lines.append(line)
            cell_numbers.append(number)
            rows.append(row)
            shifts.append(shift)
    cell_map = CellMap(tuple(cell_numbers), tuple(rows), tuple(shifts), tuple(source for _, source in cells))
    return Notebook(Source(filename, path, "".join(lines), cells=cell_map), tuple(errors))


def _split(text: str) -> list[str]:
    """Lines with their ends, split only where Python ends a line; the last one ends too."""
    parts: list[str] = []
    start = 0
    for match in _LINE_BREAK.finditer(text):
        parts.append(text[start : match.start()] + "\n")
        start = match.end()
    if start < len(text):
        parts.append(text[start:] + "\n")
    return parts


def python_lines(lines: Sequence[str]) -> list[tuple[str, int]] | None:
    """Each line as Python, with the columns its text moved left; None for a non-Python cell.

    Only the start of a logical line can hold IPython syntax: a `%` that continues an
    expression in brackets (`("%d" \\n % n)`) or a `!` inside a string is Python's own.
    """
    out: list[tuple[str, int]] = []
    # IPython drops the blank lines above a cell magic before it looks for one.
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    out.extend(("\n", 0) for _ in range(start))
    first = lines[start].strip() if start < len(lines) else ""
    if first.startswith("%%"):
        name = first[2:].split(None, 1)[0] if first[2:].strip() else ""
        if name not in _PYTHON_CELL_MAGICS:
            return None
        out.append(("\n", 0))
        start += 1
    scanner = _LogicalLines()
    in_escape = False  # a magic or shell line continued with a backslash
    for line in lines[start:]:
        body = line.rstrip("\r\n")
        stripped = body.strip()
        indent = body[: len(body) - len(body.lstrip())]
        if in_escape:
            in_escape = body.endswith("\\")
            out.append(("\n", 0))
            continue
        if scanner.at_start:
            converted = _convert(indent, stripped)
            if converted is not None:
                out.append(converted)
                in_escape = stripped.endswith("\\")
                continue
        scanner.feed(line)
        out.append((line, 0))
    return out


def _convert(indent: str, stripped: str) -> tuple[str, int] | None:
    """The Python that stands in for one line of IPython syntax; None for a Python line."""
    if not stripped:
        return None
    if stripped.startswith(_ESCAPES) or _HELP_SUFFIX.fullmatch(stripped):
        magic = _LINE_MAGIC.fullmatch(stripped)
        if magic and magic["name"] in _PYTHON_LINE_MAGICS and not magic["payload"].startswith("-"):
            payload = magic["payload"]
            if _compiles(payload):
                return f"{indent}{payload}\n", len(stripped) - len(payload)
        return f"{indent}pass\n", 0
    assigned = _ASSIGNED_ESCAPE.match(stripped)
    if assigned:  # `files = !ls`, `t = %timeit -o f()`: the names exist afterwards
        return f"{indent}{assigned['target']} = ...\n", 0
    return None


def _compiles(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<cell>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


def _cell_syntax_error(text: str) -> tuple[str, int, int] | None:
    """Each cell must compile on its own, as IPython compiles it; a broken cell is reported
    and left out so that the rest of the notebook is still linted."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<cell>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        return f"syntax error: {exc.msg}", exc.lineno or 1, exc.offset or 1
    except (RecursionError, MemoryError):
        return "too deeply nested for Python to compile", 1, 1
    except (ValueError, OverflowError) as exc:
        return f"cannot compile: {exc}", 1, 1
    return None


# The characters that can change `_LogicalLines`' state.
_LEXED = re.compile(r"""['"()\[\]{}#\\]""")


class _LogicalLines:
    """Tracks, line by line, whether the next physical line starts a logical line: outside
    brackets, strings and backslash continuations. Only as much of Python's lexer as that needs."""

    def __init__(self) -> None:
        self.depth = 0
        self.quote: str | None = None  # the open string's quote: ', ", ''' or \"\"\"
        self.continued = False

    @property
    def at_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.continued

    def feed(self, line: str) -> None:
        body = line.rstrip("\r\n")
        if _LEXED.search(body) is None:
            # No quote, bracket, comment or backslash (most lines of a cell): what `scan` does
            # at the end of a line that no backslash continues.
            self.continued = False
            if self.quote in ("'", '"'):
                self.quote = None
            return
        self.scan(body)

    def scan(self, body: str) -> None:
        """`feed` of a line without its end, character by character."""
        i, n = 0, len(body)
        while i < n:
            ch = body[i]
            if self.quote is not None:
                if ch == "\\":
                    i += 2
                    continue
                if body.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = None
                    continue
                i += 1
                continue
            if ch == "#":
                break
            if ch in "'\"":
                triple = body[i : i + 3]
                self.quote = triple if triple in ("'''", '"""') else ch
                i += len(self.quote)
                continue
            if ch in "([{":
                self.depth += 1
            elif ch in ")]}":
                self.depth = max(0, self.depth - 1)
            i += 1
        else:
            # The loop ran to the end: no comment swallowed a trailing backslash.
            self.continued = body.endswith("\\")
            if self.quote in ("'", '"') and not self.continued:
                self.quote = None  # an unterminated one-line string: Python rejects it anyway
            return
        self.continued = False




def cell_lines(notebook_text: str, cell: int) -> list[str] | None:
    """The lines of one cell as the user wrote them (for a code frame); None if unreadable."""
    try:
        cells = _cells(json.loads(notebook_text))
    except (json.JSONDecodeError, RecursionError):
        return None
    if isinstance(cells, str) or not 0 < cell <= len(cells):
        return None
    return [line.rstrip("\n") for line in _split(cells[cell - 1][1])]


__all__ = ["Notebook", "cell_lines", "is_notebook", "parse_notebook", "read_notebook", "relocate"]
