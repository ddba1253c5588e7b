"""Render findings in the output formats ruff users already know.

Every renderer is a pure function of its inputs: the CLI owns the summary line
("Found N errors.") and where the text goes. A non-empty result ends with a
newline, except where ruff writes none (gitlab, rdjson), so that the bytes are ruff's.

The one-line formats print a finding's headline (its message's first sentence);
`full`, the rule docs and SARIF's rule descriptions carry the explanation.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

import prunelint
from prunelint.diagnostics import Diagnostic, Edit, Fix, Position
from prunelint.ruleinfo import RuleInfo

FORMATS = (
    "concise", "full", "json", "json-lines", "junit", "grouped", "github", "gitlab", "pylint",
    "rdjson", "azure", "sarif",
)

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"

# ruff shows two lines of context on each side of the flagged line.
_CONTEXT_LINES = 2

SourceLines = Callable[[str], Sequence[str] | None]
# A notebook's cell, by file and 1-based cell number: its lines, or None.
CellLines = Callable[[str, int], Sequence[str] | None]



def escape(text: str) -> str:
    """XML character data (`xml.sax.saxutils.escape`, whose module pulls in urllib and email at
    start-up)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoteattr(text: str) -> str:
    """An XML attribute value, quoted as `saxutils.quoteattr` quotes it."""
    text = escape(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', "&quot;") + '"'

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
    if fmt == "json-lines":
        return _render_json_lines(diagnostics, rules)
    if fmt == "junit":
        return _render_junit(diagnostics)
    if fmt == "grouped":
        return _render_grouped(diagnostics, unsafe_fixes)
    if fmt == "gitlab":
        return _render_gitlab(diagnostics)
    if fmt == "pylint":
        return _render_pylint(diagnostics)
    if fmt == "rdjson":
        return _render_rdjson(diagnostics, rules)
    if fmt == "azure":
        return _render_azure(diagnostics)
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
    return f"{where}: {diagnostic.code} {_marker(diagnostic, unsafe_fixes)}{diagnostic.headline}"


def _marker(diagnostic: Diagnostic, unsafe_fixes: bool) -> str:
    fix = diagnostic.fix
    return "[*] " if fix is not None and (fix.applicability == "safe" or unsafe_fixes) else ""


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
    note = diagnostic.details
    if source is None or not 1 <= row <= len(source):
        lines = [f"  = note: {note}"] if note else []
        return lines + ([f"  = help: {fix.message}"] if fix is not None else [])

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
    if note:
        out.append(f"{gutter} = note: {note}")
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


def _json_items(diagnostics: Sequence[Diagnostic], rules: Mapping[str, RuleInfo]) -> list[dict[str, Any]]:
    return [
        {
            # ruff's field: in a notebook, rows and columns count within this cell.
            "cell": d.cell,
            "code": d.code,
            "end_location": _position_json(d.end_location),
            # ruff writes absolute names.
            "filename": _absolute(d.filename),
            "fix": _fix_json(d.fix),
            "location": _position_json(d.location),
            "message": d.headline,
            "name": rules[d.code].name if d.code in rules else d.code,
            "noqa_row": d.location.row,
            "severity": "error",
            "url": _url(d, rules),
        }
        for d in diagnostics
    ]


def _absolute(filename: str) -> str:
    return filename if filename == "-" else os.path.abspath(filename)


def _render_json(diagnostics: Sequence[Diagnostic], rules: Mapping[str, RuleInfo]) -> str:
    items = _json_items(diagnostics, rules)
    # ruff's serializer orders keys alphabetically at every level; match it so
    # tools diffing the two outputs see the same shape.
    return json.dumps(items, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _render_json_lines(diagnostics: Sequence[Diagnostic], rules: Mapping[str, RuleInfo]) -> str:
    """ruff's json-lines: one compact object a line, with the rule's name and severity."""
    lines = []
    for item in _json_items(diagnostics, rules):
        lines.append(json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n")
    return "".join(lines)


# --- junit ----------------------------------------------------------------------


def _render_junit(diagnostics: Sequence[Diagnostic]) -> str:
    """ruff's junit: a test suite per file, a failed test case per finding."""
    by_file: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        by_file.setdefault(d.filename, []).append(d)
    total = len(diagnostics)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        # A clean run is one passing case, as ruff reports it.
        f'<testsuites name="prunelint" tests="{total or 1}" skipped="0" failures="{total}" errors="0">',
    ]
    if not diagnostics:
        # ruff's report of a clean run: one passing case.
        out += [
            '    <testsuite name="prunelint" tests="1" skipped="0" errors="0" failures="0" package="org.prunelint">',
            '        <testcase name="No errors found" classname="prunelint"/>',
            "    </testsuite>",
        ]
    for filename, found in by_file.items():
        name = _absolute(filename)
        classname = os.path.splitext(name)[0]
        out.append(
            f'    <testsuite name={quoteattr(name)} tests="{len(found)}" skipped="0" errors="0" '
            f'failures="{len(found)}" package="org.prunelint">'
        )
        for d in found:
            where = _cell_prefix(d)
            out += [
                f'        <testcase name="org.prunelint.{escape(d.code)}" classname={quoteattr(classname)} '
                f'line="{d.location.row}" column="{d.location.column}">',
                "            <properties>",
                '                <property name="severity" value="error"/>',
                "            </properties>",
                f"            <failure message={quoteattr(d.headline)}>"
                f"{escape(f'{where}line {d.location.row}, col {d.location.column}, {d.headline}')}</failure>",
                "        </testcase>",
            ]
        out.append("    </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def _cell_prefix(d: Diagnostic) -> str:
    return f"cell {d.cell}, " if d.cell is not None else ""


# --- grouped, pylint, azure -------------------------------------------------------


def _render_grouped(diagnostics: Sequence[Diagnostic], unsafe_fixes: bool = False) -> str:
    """ruff's grouped: the file name, then its findings, aligned, then a blank line."""
    by_file: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        by_file.setdefault(d.filename, []).append(d)
    out = []
    for filename, found in by_file.items():
        where = [f"{_cell_prefix(d).replace(', ', ':')}{d.location.row}" for d in found]
        row_width = max(len(w) for w in where)
        col_width = max(len(str(d.location.column)) for d in found)
        out.append(f"{filename}:\n")
        for w, d in zip(where, found):
            out.append(
                f"  {w:>{row_width}}:{d.location.column:<{col_width}} {d.code} "
                f"{_marker(d, unsafe_fixes)}{d.headline}\n"
            )
        out.append("\n")
    return "".join(out)


def _render_pylint(diagnostics: Sequence[Diagnostic]) -> str:
    """pylint's parseable format, as ruff writes it: `file:row: [CODE] message`."""
    return "".join(f"{d.filename}:{d.location.row}: [{d.code}] {_cell_text(d)}{d.headline}\n" for d in diagnostics)


def _cell_text(d: Diagnostic) -> str:
    return f"cell {d.cell}: " if d.cell is not None else ""


def _render_azure(diagnostics: Sequence[Diagnostic]) -> str:
    """Azure Pipelines' logging command, as ruff writes it."""
    return "".join(
        f"##vso[task.logissue type=error;sourcepath={_absolute(d.filename)};linenumber={d.location.row};"
        f"columnnumber={d.location.column};code={d.code};]{_cell_text(d)}{d.headline}\n"
        for d in diagnostics
    )


# --- gitlab ---------------------------------------------------------------------


def _gitlab_path(filename: str) -> str:
    # GitLab resolves paths against the project folder: ruff uses CI_PROJECT_DIR, else the
    # working folder.
    root = os.environ.get("CI_PROJECT_DIR") or os.getcwd()
    try:
        return os.path.relpath(os.path.abspath(filename), root).replace(os.sep, "/")
    except ValueError:
        return filename


def _render_gitlab(diagnostics: Sequence[Diagnostic]) -> str:
    """GitLab's Code Quality report (as ruff writes it): stable fingerprints, one per finding."""
    from hashlib import sha256  # OpenSSL's bindings, for this format only

    seen: set[str] = set()
    items = []
    for d in diagnostics:
        path = _gitlab_path(d.filename)
        # Stable across runs and unmoved by edits elsewhere in the file; a repeat gets the next.
        seed = f"{path}\0{d.code}\0{d.headline}\0{d.cell}"
        fingerprint = sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        counter = 0
        while fingerprint in seen:
            counter += 1
            fingerprint = sha256(f"{seed}\0{counter}".encode("utf-8", "surrogatepass")).hexdigest()[:16]
        seen.add(fingerprint)
        items.append(
            {
                "check_name": d.code,
                "description": f"{d.code}: {_cell_text(d)}{d.headline}",
                "severity": "major",
                "fingerprint": fingerprint,
                "location": {
                    "path": path,
                    "positions": {
                        "begin": {"line": d.location.row, "column": d.location.column},
                        "end": {"line": d.end_location.row, "column": d.end_location.column},
                    },
                },
            }
        )
    return json.dumps(items, indent=2, ensure_ascii=False)


# --- rdjson ---------------------------------------------------------------------


def _rd_range(start: Position, end: Position) -> dict[str, Any]:
    return {"end": {"column": end.column, "line": end.row}, "start": {"column": start.column, "line": start.row}}


def _render_rdjson(diagnostics: Sequence[Diagnostic], rules: Mapping[str, RuleInfo]) -> str:
    """reviewdog's Diagnostic Format, as ruff writes it (keys sorted)."""
    items = []
    for d in diagnostics:
        code: dict[str, Any] = {"value": d.code}
        url = _url(d, rules)
        if url:
            code["url"] = url
        item: dict[str, Any] = {
            "code": code,
            "location": {"path": _absolute(d.filename), "range": _rd_range(d.location, d.end_location)},
            "message": f"{_cell_text(d)}{d.headline}",
        }
        if d.fix is not None and d.fix.edits and d.cell is None:
            item["suggestions"] = [
                {"range": _rd_range(e.location, e.end_location), "text": e.content} for e in d.fix.edits
            ]
        items.append(item)
    log = {
        "diagnostics": items,
        "severity": "WARNING",
        "source": {"name": "prunelint", "url": prunelint.DOCS_URL},
    }
    return json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False)


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
        text = f"{d.code} {d.headline}"
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
    docs = rule.docs  # rendered when asked (RuleInfo.docs): once for both fields
    entry: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": docs},
        "help": {"text": rule.summary, "markdown": docs},
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
        "message": {"text": diagnostic.headline},
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
