"""Reading a file as Python source: encodings, BOMs, binary files and unreadable paths.

Every failure becomes a PRL000 finding at a location, never an exception for the caller.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
import tokenize
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prunelint.diagnostics import Diagnostic, Position

if TYPE_CHECKING:
    from prunelint.io.cells import CellMap

FILE_ERROR_CODE = "PRL000"


@dataclass(frozen=True)
class Source:
    filename: str  # as displayed
    path: str  # as opened
    text: str
    # A notebook's code cells joined into one text: where each of its rows comes from.
    cells: "CellMap | None" = None


def file_error(filename: str, message: str, row: int = 1, column: int = 1) -> Diagnostic:
    return Diagnostic(
        code=FILE_ERROR_CODE,
        message=message,
        filename=filename,
        location=Position(row, column),
        end_location=Position(row, column),
    )


def decode(data: bytes, filename: str, path: str) -> Source | Diagnostic:
    """Decode as Python does: a BOM or PEP 263 cookie, else UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # UTF-32's BOMs start so too
        return file_error(
            filename,
            "UTF-16 or UTF-32 text (it starts with that byte order mark): "
            "Python source must be UTF-8 or an ASCII-compatible encoding",
        )
    if b"\x00" in data:
        offset = data.index(b"\x00")
        row = data.count(b"\n", 0, offset) + 1
        return file_error(filename, "binary file (contains a NUL byte): not Python source", row)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if data.startswith(codecs.BOM_UTF8) and exc.msg == "encoding problem: utf-8":  # tokenize's words
            return file_error(
                filename, "cannot decode: a UTF-8 byte order mark, but a coding cookie for another encoding"
            )
        return file_error(filename, f"cannot decode: {exc.msg}")
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        offset = getattr(exc, "start", 0)
        row = data.count(b"\n", 0, offset) + 1
        column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        return file_error(filename, f"not valid {encoding} text: {exc.reason if hasattr(exc, 'reason') else exc}", row, column)
    if text.startswith("\ufeff"):
        text = text[1:]
    return Source(filename, path, text)


def too_large(filename: str, size: int, limit: int) -> Diagnostic:
    """A file over `max-file-size`: its analysis would take hundreds of times its size in
    memory, so it is reported instead of read (docs/reliability.md)."""
    return file_error(
        filename,
        f"too large to analyse: {size:,} bytes, over the limit of {limit:,} "
        "(`max-file-size` in [tool.prunelint])",
    )


def read_bytes(path: str, filename: str, what: str = "a Python file", limit: int | None = None) -> bytes | Diagnostic:
    """The file's bytes, or a finding that says why they cannot be had. A file larger than
    `limit` bytes is not read."""
    try:
        if os.path.isdir(path):
            return file_error(filename, f"is a directory, not {what}")
        info = os.stat(path)
        kind = _special_kind(info.st_mode)
        if kind:  # reading a named pipe with no writer would hang the run
            return file_error(filename, f"not a regular file ({kind}): not read (use `-` to lint stdin)")
        if limit is not None and info.st_size > limit:
            return too_large(filename, info.st_size, limit)
        with open(path, "rb") as handle:
            data = handle.read() if limit is None else handle.read(limit + 1)
        if limit is not None and len(data) > limit:  # it grew since the stat
            return too_large(filename, len(data), limit)
        return data
    except OSError as exc:
        return file_error(filename, f"cannot read file: {exc.strerror or exc}")


def read_source(path: str, filename: str, limit: int | None = None) -> Source | Diagnostic:
    data = read_bytes(path, filename, limit=limit)
    return data if isinstance(data, Diagnostic) else decode(data, filename, path)


def _special_kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return kind
    return ""
