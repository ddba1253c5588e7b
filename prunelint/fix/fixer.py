"""Apply the findings' fixes, as `ruff check --fix` does, without ever corrupting a file.

Fixes are applied in passes over the whole run: lint, apply the non-overlapping fixes of each
file, lint again (a fix can uncover or settle other findings, and project rules see every file),
until nothing changes or MAX_PASSES is reached. Every fixed text must still compile and parse
with libcst; a fix that breaks it is dropped and reported, and the file's other fixes still
apply. Files are written atomically (a temporary file in the same folder, then `os.replace`) in
their own encoding, with their BOM, line endings and mode. Notebooks are never rewritten.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import stat
import tokenize
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Sequence

from prunelint.io.atomic import write_atomic
from prunelint.diagnostics import Diagnostic, Fix, Position
from prunelint.analysis.parse import parses
from prunelint.io.source import Source, decode

MAX_PASSES = 10
Lint = Callable[[Sequence[Source]], list[Diagnostic]]


# The ending of `--fix`'s temporaries, by which a later run finds those a killed run left.
FIX_SUFFIX = ".prunelint-fix"


@dataclass(frozen=True)
class FixFailure:
    """A fix that was not applied, or a file that was not written, and why."""

    filename: str
    message: str
    location: Position | None = None
    code: str = ""

    def describe(self) -> str:
        where = self.filename
        if self.location is not None:
            where += f":{self.location.row}:{self.location.column}"
        return f"{where}: {self.code + ': ' if self.code else ''}{self.message}"


@dataclass
class FixRun:
    diagnostics: list[Diagnostic]  # what remains after fixing
    originals: dict[str, Source]  # by filename, as read
    fixed_texts: dict[str, str] = field(default_factory=dict)  # filename -> new text (changed only)
    fixed: Counter = field(default_factory=Counter)  # filename -> findings fixed
    failures: list[FixFailure] = field(default_factory=list)
    notebooks: dict[str, int] = field(default_factory=dict)  # filename -> fixable findings left

    @property
    def fixed_count(self) -> int:
        return sum(self.fixed.values())


def is_notebook(source: Source) -> bool:
    return getattr(source, "cells", None) is not None or source.filename.endswith(".ipynb") or source.path.endswith(".ipynb")


# -- applying edits to one text -------------------------------------------------------------------

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> list[str]:
    """Lines with their ends, split only where Python ends a line (\\r\\n, \\r, \\n)."""
    return _LINE.findall(text)


class _Offsets:
    def __init__(self, text: str) -> None:
        self.starts = [0]
        for line in split_lines(text):
            self.starts.append(self.starts[-1] + len(line))
        self.length = len(text)

    def __call__(self, position: Position) -> int:
        if not 1 <= position.row <= len(self.starts):
            raise ValueError(f"row {position.row} is outside the file")
        offset = self.starts[position.row - 1] + position.column - 1
        if offset < 0 or offset > self.length:
            raise ValueError(f"column {position.column} is outside row {position.row}")
        return offset


def _ranges(fix: Fix, offsets: _Offsets) -> list[tuple[int, int, str]]:
    ranges = sorted((offsets(e.location), offsets(e.end_location), e.content) for e in fix.edits)
    for (start, end, _), (next_start, _, _) in zip(ranges, ranges[1:]):
        if next_start < end:
            raise ValueError("the fix's own edits overlap")
    if any(end < start for start, end, _ in ranges):
        raise ValueError("an edit ends before it starts")
    return ranges


def _apply(text: str, chosen: Iterable[list[tuple[int, int, str]]]) -> str:
    edits = sorted((edit for ranges in chosen for edit in ranges), key=lambda e: (e[0], e[1]))
    out, last = [], 0
    for start, end, content in edits:
        out.append(text[last:start])
        out.append(content)
        last = end
    out.append(text[last:])
    return "".join(out)


def fix_text(
    text: str, diagnostics: Sequence[Diagnostic], unsafe: bool, filename: str = "<fix>"
) -> tuple[str, list[Diagnostic], list[FixFailure]]:
    """Apply the fixes of `diagnostics` that do not overlap an earlier one (the rest wait for the
    next pass). Returns the new text, the findings fixed and the fixes refused."""
    offsets = _Offsets(text)
    failures: list[FixFailure] = []
    candidates: list[tuple[int, int, Diagnostic, list[tuple[int, int, str]]]] = []
    for diagnostic in diagnostics:
        if not diagnostic.fixable(unsafe):
            continue
        try:
            ranges = _ranges(diagnostic.fix, offsets)
        except ValueError as exc:
            failures.append(_failure(diagnostic, f"fix not applied: {exc}"))
            continue
        candidates.append((ranges[0][0], ranges[-1][1], diagnostic, ranges))
    candidates.sort(key=lambda c: (c[0], c[1]))
    chosen: list[tuple[Diagnostic, list[tuple[int, int, str]]]] = []
    last_end = -1
    for start, end, diagnostic, ranges in candidates:
        # Touching is overlapping for an insertion: two insertions at one point have no order.
        if start < last_end or (start == last_end and chosen and start == end):
            continue
        chosen.append((diagnostic, ranges))
        last_end = end
    if not chosen:
        return text, [], failures
    fixed = _apply(text, (ranges for _, ranges in chosen))
    if parses(fixed, filename):
        return fixed, [d for d, _ in chosen], failures
    # Some fix breaks the file: keep every fix that does not, one at a time, so that one bad fix
    # never hides the others.
    kept: list[tuple[Diagnostic, list[tuple[int, int, str]]]] = []
    for diagnostic, ranges in chosen:
        trial = _apply(text, [r for _, r in kept] + [ranges])
        if parses(trial, filename):
            kept.append((diagnostic, ranges))
        else:
            failures.append(_failure(diagnostic, "fix not applied: the result would not parse"))
    return _apply(text, (r for _, r in kept)), [d for d, _ in kept], failures


def _failure(diagnostic: Diagnostic, message: str) -> FixFailure:
    return FixFailure(diagnostic.filename, message, diagnostic.location, diagnostic.code)


def _key(diagnostic: Diagnostic) -> tuple:
    edits = tuple(e.content for e in diagnostic.fix.edits) if diagnostic.fix else ()
    return (diagnostic.filename, diagnostic.code, diagnostic.message, edits)


# -- the passes over a run ------------------------------------------------------------------------


def fix_sources(sources: Sequence[Source], lint: Lint, unsafe: bool) -> FixRun:
    """Lint and fix until stable. `lint` lints a set of sources and returns the kept findings."""
    current = {s.filename: s for s in sources}
    run = FixRun(diagnostics=[], originals=dict(current))
    refused: set[tuple] = set()
    seen_failures: set[str] = set()
    for _ in range(MAX_PASSES):
        diagnostics = lint(list(current.values()))
        by_file: dict[str, list[Diagnostic]] = {}
        for d in diagnostics:
            if d.fixable(unsafe) and d.filename in current and _key(d) not in refused:
                by_file.setdefault(d.filename, []).append(d)
        changed = False
        for filename, found in by_file.items():
            source = current[filename]
            if is_notebook(source):
                run.notebooks[filename] = len(found)
                continue
            text, fixed, failures = fix_text(source.text, found, unsafe, filename)
            for failure in failures:
                refused.update(_key(d) for d in found if d.location == failure.location and d.code == failure.code)
                if failure.describe() not in seen_failures:
                    seen_failures.add(failure.describe())
                    run.failures.append(failure)
            if text != source.text:
                current[filename] = replace(source, text=text)
                run.fixed[filename] += len(fixed)
                changed = True
        run.diagnostics = diagnostics
        if not changed:
            break
    else:
        run.diagnostics = lint(list(current.values()))
    run.fixed_texts = {
        name: s.text for name, s in current.items() if s.text != run.originals[name].text
    }
    return run


# -- writing --------------------------------------------------------------------------------------


def write_fixed(source: Source, text: str) -> FixFailure | None:
    """Write `text` over the file `source` was read from, atomically, keeping its encoding (PEP
    263 cookie or BOM), its line endings (the fixes keep them) and its mode. Nothing is written
    if the file changed since it was read."""
    real = os.path.realpath(source.path)  # a symlink keeps pointing at the fixed file
    try:
        with open(real, "rb") as handle:
            data = handle.read()
        loaded = decode(data, source.filename, real)
        if not isinstance(loaded, Source) or loaded.text != source.text:
            return FixFailure(source.filename, "not written: the file changed while it was being fixed")
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        try:
            body = text.encode(encoding)  # `utf-8-sig` writes the BOM back
        except UnicodeEncodeError:
            return FixFailure(source.filename, f"not written: the fixed text cannot be encoded as {encoding}")
        mode = stat.S_IMODE(os.stat(real).st_mode)
        if not mode & 0o222 or not os.access(real, os.W_OK):
            # A rename would replace it even so (and root writes anything): a file its owner
            # made read-only is reported, never rewritten.
            return FixFailure(source.filename, f"not written: the file is read-only (mode {mode:04o})")
        write_atomic(real, body, mode=mode, durable=True, suffix=FIX_SUFFIX)
    except OSError as exc:
        return FixFailure(source.filename, f"not written: {exc.strerror or exc}")
    return None


def unified_diff(filename: str, before: str, after: str) -> str:
    lines = []
    for line in difflib.unified_diff(split_lines(before), split_lines(after), fromfile=filename, tofile=filename):
        if not line.endswith(("\n", "\r")):
            line += "\n\\ No newline at end of file\n"
        lines.append(line)
    return "".join(lines)
