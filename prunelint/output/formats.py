"""Render findings in the output formats ruff users already know.

Every renderer is a pure function of its inputs: the CLI owns the summary line
("Found N errors.") and where the text goes.  A non-empty result always ends
with a newline so the CLI can write it as-is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

import prunelint
from prunelint.diagnostics import Diagnostic, Edit, Fix, Position
from prunelint.ruleinfo import RuleInfo

FORMATS = ("concise", "full", "json", "github", "sarif")

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"

# ruff shows two lines of context on each side of the flagged line.
_CONTEXT_LINES = 2

SourceLines = Callable[[str], Sequence[str] | None]
# A notebook's cell, by file and 1-based cell number: its lines, or None.
CellLines = Callable[[str, int], Sequence[str] | None]


def _no_source(filename: str) -> Sequence[str] | None:
    return None


def _no_cell_source(filename: str, cell: int) -> Sequence[str] | None:
    return None


def render(
    diagnostics: Sequence[Diagnostic],
    fmt: str,
    rules: Mapping[str, RuleInfo],
    *,
    source_lines: SourceLines = _no_source,
    cell_lines: CellLines = _no_cell_source,
    version: str = prunelint.__version__,
    unsafe_fixes: bool = False,
) -> str:
    """Return the findings as text in ``fmt``; the order of ``diagnostics`` is kept.

    ``source_lines(filename)`` gives the file's lines (index 0 is row 1), or None
    when the source cannot be shown; only the ``full`` format asks for it, and asks
    ``cell_lines(filename, cell)`` for a finding in a notebook cell.
    """
    if fmt == "concise":
        return _render_concise(diagnostics, unsafe_fixes)
    if fmt == "full":
        return _render_full(diagnostics, source_lines, cell_lines, unsafe_fixes)
    if fmt == "json":
        return _render_json(diagnostics, rules)
    if fmt == "github":
        return _render_github(diagnostics)
    if fmt == "sarif":
        return _render_sarif(diagnostics, rules, version)
    raise ValueError(f"unknown output format {fmt!r}; expected one of: {', '.join(FORMATS)}")


# --- concise / full -------------------------------------------------------------


def _header(diagnostic: Diagnostic, unsafe_fixes: bool = False) -> str:
    where = diagnostic.display_location or (
        f"{diagnostic.filename}:{diagnostic.location.row}:{diagnostic.location.column}"
    )
    # ruff marks the fixes `--fix` would apply: unsafe ones only with --unsafe-fixes.
    fix = diagnostic.fix
    marker = "[*] " if fix is not None and (fix.applicability == "safe" or unsafe_fixes) else ""
    return f"{where}: {diagnostic.code} {marker}{diagnostic.message}"


def _render_concise(diagnostics: Sequence[Diagnostic], unsafe_fixes: bool = False) -> str:
    return "".join(_header(d, unsafe_fixes) + "\n" for d in diagnostics)


def _render_full(
    diagnostics: Sequence[Diagnostic],
    source_lines: SourceLines,
    cell_lines: CellLines,
    unsafe_fixes: bool = False,
) -> str:
    # ruff separates the blocks of the full format with a blank line, and the
    # last block is followed by one too, before the summary.
    blocks: list[str] = []
    for diagnostic in diagnostics:
        lines = [_header(diagnostic, unsafe_fixes)]
        if diagnostic.cell is not None:  # rows count from the top of the cell
            source = cell_lines(diagnostic.filename, diagnostic.cell)
        else:
            source = source_lines(diagnostic.filename)
        lines.extend(_code_frame(diagnostic, source))
        blocks.append("\n".join(lines) + "\n\n")
    return "".join(blocks)


def _is_blank(text: str) -> bool:
    return not text.strip()


def _code_frame(diagnostic: Diagnostic, source: Sequence[str] | None) -> list[str]:
    fix = diagnostic.fix
    row = diagnostic.location.row
    if source is None or not 1 <= row <= len(source):
        return [f"  = help: {fix.message}"] if fix is not None else []

    first = max(1, row - _CONTEXT_LINES)
    last = min(len(source), row + _CONTEXT_LINES)
    # Blank context at the edges adds nothing; ruff trims it too.
    while first < row and _is_blank(source[first - 1]):
        first += 1
    while last > row and _is_blank(source[last - 1]):
        last -= 1

    width = len(str(last))
    gutter = " " * width
    out = [f"{gutter} |"]
    for number in range(first, last + 1):
        text = source[number - 1].rstrip("\r\n")
        out.append(f"{number:>{width}} | {text}" if text else f"{number:>{width}} |")
        if number == row:
            out.append(f"{gutter} | {_underline(text, diagnostic)} {diagnostic.code}")
    out.append(f"{gutter} |")
    if fix is not None:
        out.append(f"{gutter} = help: {fix.message}")
    return out


def _underline(text: str, diagnostic: Diagnostic) -> str:
    start = diagnostic.location.column - 1
    if diagnostic.end_location.row == diagnostic.location.row:
        end = diagnostic.end_location.column - 1
    else:
        # A multi-line range is only marked on its first line.
        end = len(text)
    # Keep tabs in the padding so the carets line up however the terminal expands them.
    padding = "".join("\t" if ch == "\t" else " " for ch in text[:start])
    padding += " " * max(0, start - len(text))
    return padding + "^" * max(1, end - start)


# --- json -----------------------------------------------------------------------


def _position_json(position: Position) -> dict[str, int]:
    return {"row": position.row, "column": position.column}


def _edit_json(edit: Edit) -> dict[str, Any]:
    return {
        "content": edit.content,
        "location": _position_json(edit.location),
        "end_location": _position_json(edit.end_location),
    }


def _fix_json(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "message": fix.message,
        "edits": [_edit_json(edit) for edit in fix.edits],
    }


def _url(diagnostic: Diagnostic, rules: Mapping[str, RuleInfo]) -> str | None:
    if diagnostic.url is not None:
        return diagnostic.url
    rule = rules.get(diagnostic.code)
    return rule.url if rule is not None else None


def _render_json(diagnostics: Sequence[Diagnostic], rules: Mapping[str, RuleInfo]) -> str:
    items = [
        {
            # ruff's field: in a notebook, rows and columns count within this cell.
            "cell": d.cell,
            "code": d.code,
            "end_location": _position_json(d.end_location),
            "filename": d.filename,
            "fix": _fix_json(d.fix),
            "location": _position_json(d.location),
            "message": d.message,
            "noqa_row": d.location.row,
            "url": _url(d, rules),
        }
        for d in diagnostics
    ]
    # ruff's serializer orders keys alphabetically at every level; match it so
    # tools diffing the two outputs see the same shape.
    return json.dumps(items, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- github ---------------------------------------------------------------------


def _escape_data(text: str) -> str:
    # The escaping of GitHub's @actions/core toolkit (command.ts: escapeData).
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    # Properties are also split on ',' and ':' by the runner (command.ts: escapeProperty).
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _render_github(diagnostics: Sequence[Diagnostic]) -> str:
    lines = []
    for d in diagnostics:
        fields: tuple[tuple[str, object], ...] = (
            ("title", f"prunelint ({d.code})"),
            ("file", d.filename),
        )
        text = f"{d.code} {d.message}"
        if d.cell is None:
            fields += (
                ("line", d.location.row),
                ("col", d.location.column),
                ("endLine", d.end_location.row),
                ("endColumn", d.end_location.column),
            )
        else:
            # GitHub's lines in a notebook are lines of its JSON: annotate the file, and say
            # in the message where in which cell.
            text = f"cell {d.cell}:line {d.location.row}:{d.location.column}: {text}"
        properties = ",".join(f"{key}={_escape_property(str(value))}" for key, value in fields)
        lines.append(f"::error {properties}::{_escape_data(text)}\n")
    return "".join(lines)


# --- sarif ----------------------------------------------------------------------


def _artifact_uri(filename: str) -> str:
    path = PurePath(filename)
    if path.is_absolute():
        return path.as_uri()
    # A relative reference is resolved against the checkout by code-scanning
    # consumers; quote it so odd characters still make a valid URI reference.
    return quote(path.as_posix(), safe="/")


def _region(start: Position, end: Position) -> dict[str, int]:
    return {
        "startLine": start.row,
        "startColumn": start.column,
        "endLine": end.row,
        "endColumn": end.column,
    }


def _sarif_rule(rule: RuleInfo) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.docs},
        "help": {"text": rule.summary, "markdown": rule.docs},
    }
    if rule.url:  # `helpUri` must be a URI: leave it out rather than give ""
        entry["helpUri"] = rule.url
    entry["defaultConfiguration"] = {"level": "error" if rule.default_enabled else "none"}
    entry["properties"] = {"fixable": rule.fixable}
    return entry


def _sarif_fix(fix: Fix, uri: str) -> dict[str, Any]:
    return {
        "description": {"text": fix.message},
        "artifactChanges": [
            {
                "artifactLocation": {"uri": uri},
                "replacements": [
                    {
                        "deletedRegion": _region(edit.location, edit.end_location),
                        "insertedContent": {"text": edit.content},
                    }
                    for edit in fix.edits
                ],
            }
        ],
        "properties": {"applicability": fix.applicability},
    }


def _sarif_result(diagnostic: Diagnostic, rule_index: Mapping[str, int]) -> dict[str, Any]:
    uri = _artifact_uri(diagnostic.filename)
    region = _region(diagnostic.location, diagnostic.end_location)
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}
    }
    if diagnostic.cell is not None:
        # A region would point into the notebook's JSON. SARIF has no cells: name the file
        # only, say where in words, and keep the cell and its region as properties.
        location = {
            "physicalLocation": {"artifactLocation": {"uri": uri}},
            "message": {
                "text": f"cell {diagnostic.cell}:line {diagnostic.location.row}:{diagnostic.location.column}"
            },
            "properties": {"cell": diagnostic.cell, "cellRegion": region},
        }
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "level": "error",
        "message": {"text": diagnostic.message},
        "locations": [location],
    }
    if diagnostic.code in rule_index:
        result["ruleIndex"] = rule_index[diagnostic.code]
    # SARIF requires at least one replacement per change, so an edit-less fix
    # has nothing it could say.
    if diagnostic.fix is not None and diagnostic.fix.edits:
        result["fixes"] = [_sarif_fix(diagnostic.fix, uri)]
    return result


def _render_sarif(
    diagnostics: Sequence[Diagnostic], rules: Mapping[str, RuleInfo], version: str
) -> str:
    # Sorted so the log is identical whatever order the rules were registered in.
    ordered_rules = sorted(rules.values(), key=lambda rule: rule.code)
    rule_index = {rule.code: index for index, rule in enumerate(ordered_rules)}
    log = {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "prunelint",
                        "version": version,
                        "informationUri": prunelint.DOCS_URL,
                        "rules": [_sarif_rule(rule) for rule in ordered_rules],
                    }
                },
                # Positions count characters, as in the json format, not UTF-16 units.
                "columnKind": "unicodeCodePoints",
                "results": [_sarif_result(d, rule_index) for d in diagnostics],
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
