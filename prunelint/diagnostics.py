"""The finding type shared by the engine, the rules and the output formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Applicability = Literal["safe", "unsafe"]


@dataclass(frozen=True, order=True)
class Position:
    """A 1-based row and 1-based column, as ruff reports them."""

    row: int
    column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text between two positions with ``content``."""

    content: str
    location: Position
    end_location: Position


@dataclass(frozen=True)
class Fix:
    message: str
    edits: tuple[Edit, ...]
    applicability: Applicability = "safe"


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    filename: str
    location: Position
    end_location: Position
    fix: Fix | None = None
    url: str | None = None
    # Notebooks and other containers report where the finding sits in their own terms.
    display_location: str | None = field(default=None, compare=False)
    # The notebook cell (1-based, every cell counted) that `location` is relative to.
    cell: int | None = None

    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.filename, self.cell or 0, self.location.row, self.location.column, self.code)

    def fixable(self, unsafe: bool) -> bool:
        """Whether `--fix` applies this finding's fix (with `--unsafe-fixes` when `unsafe`)."""
        fix = self.fix
        return fix is not None and bool(fix.edits) and (fix.applicability == "safe" or unsafe)
