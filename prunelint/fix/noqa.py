"""`--add-noqa`: a `# noqa: CODE` on every line with a finding, as ruff adds them.

A line that already has a `# noqa: CODES` directive gets the new codes merged into it; a bare
`# noqa` already silences everything. A finding inside a multi-line string gets its directive
where the string ends, the only place a comment can go. Notebooks are never rewritten.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import defaultdict
from typing import Iterable, Mapping

from prunelint.diagnostics import Diagnostic
from prunelint.fix.fixer import split_lines, write_fixed
from prunelint.io.source import FILE_ERROR_CODE, Source

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)
# Never silenced by a directive (PRL000), or about directives themselves (PRL800).
_SKIP = {FILE_ERROR_CODE, "PRL800"}


def with_noqa(text: str, codes_by_row: Mapping[int, Iterable[str]]) -> tuple[str, int]:
    """The text with the directives added, and how many directives were added or extended."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return text, 0
    comments: dict[int, tuple[int, str]] = {}
    moved: dict[int, int] = {}
    for token in tokens:
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = (token.start[1], token.string)
        elif token.start[0] < token.end[0]:  # a multi-line string: comment where it ends
            for row in range(token.start[0], token.end[0]):
                moved.setdefault(row, token.end[0])
    wanted: dict[int, list[str]] = defaultdict(list)
    for row, codes in codes_by_row.items():
        target = moved.get(row, row)
        for code in codes:
            if code not in wanted[target]:
                wanted[target].append(code)
    lines = split_lines(text)
    added = 0
    for row, codes in sorted(wanted.items()):
        if not 1 <= row <= len(lines):
            continue
        line = lines[row - 1]
        body = line.rstrip("\r\n")
        end = line[len(body):]
        if body.endswith("\\"):
            continue  # a continued line takes no comment
        if row in comments:
            col, comment = comments[row]
            match = _NOQA.search(comment)
            if match is not None:
                if match.group("codes") is None:
                    continue  # a bare noqa silences everything already
                have = [c.upper() for c in _CODE.findall(match.group("codes"))]
                new = [c for c in codes if c not in have]
                if not new:
                    continue
                directive = f"# noqa: {', '.join(have + new)}"
                start, stop = col + match.start(), col + match.end()
                body = body[:start] + directive + body[stop:]
            else:
                body = f"{body}  # noqa: {', '.join(codes)}"
        else:
            body = f"{body.rstrip()}  # noqa: {', '.join(codes)}"
        lines[row - 1] = body + end
        added += 1
    return "".join(lines), added


def add_noqa(diagnostics: Iterable[Diagnostic], texts: Mapping[str, str], notebooks: Iterable[str] = ()) -> tuple[int, list[str]]:
    """Write the directives into the files; (directives added, warnings)."""
    skipped = set(notebooks)
    rows: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for d in diagnostics:
        if d.code in _SKIP or d.filename not in texts:
            continue
        rows[d.filename][d.location.row].append(d.code)
    total, warnings = 0, []
    for filename, by_row in sorted(rows.items()):
        if filename in skipped or filename.endswith(".ipynb"):
            warnings.append(f"{filename}: not changed: `--add-noqa` never rewrites notebooks")
            continue
        original = texts[filename]
        text, added = with_noqa(original, by_row)
        if not added:
            continue
        failure = write_fixed(Source(filename, filename, original), text)
        if failure is not None:
            warnings.append(failure.describe())
            continue
        total += added
    return total, warnings
