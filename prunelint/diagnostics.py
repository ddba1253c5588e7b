"""The finding type shared by the engine, the rules and the output formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

Applicability = Literal["safe", "unsafe"]


# The value types below are named tuples: made at import in a fraction of a dataclass's time,
# and as immutable; a position orders as its (row, column).
class Position(NamedTuple):
    """A 1-based row and 1-based column, as ruff reports them."""

    row: int
    column: int


class Edit(NamedTuple):
    """Replace the text between two positions with ``content``."""

    content: str
    location: Position
    end_location: Position


class Fix(NamedTuple):
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

    @property
    def headline(self) -> str:
        """The message's first sentence: what the concise formats print."""
        return split_message(self.message)[0]

    @property
    def details(self) -> str:
        """The rest of the message: why it matters and how to fix it (the `full` format)."""
        return split_message(self.message)[1]

    def fixable(self, unsafe: bool) -> bool:
        """Whether `--fix` applies this finding's fix (with `--unsafe-fixes` when `unsafe`)."""
        fix = self.fix
        return fix is not None and bool(fix.edits) and (fix.applicability == "safe" or unsafe)


# The concise line: the message's first sentence, cut to this many characters at most.
MAX_HEADLINE = 150


def split_message(message: str) -> tuple[str, str]:
    """The first sentence, and the rest. A sentence ends at a `.` followed by a space, outside
    backticks and brackets (so `tp.pruner.BasePruner(...)` and "(e.g. `x`)" do not end one)."""
    depth, code = 0, False
    end = len(message)
    for i, ch in enumerate(message):
        if ch == "`":
            code = not code
        elif code:
            continue
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch == "." and depth == 0 and message[i + 1 : i + 2] == " ":
            end = i + 1
            break
    first, rest = message[:end].strip(), message[end:].strip()
    if len(first) > MAX_HEADLINE:
        cut = first[: MAX_HEADLINE - 1].rsplit(" ", 1)[0]
        first, rest = cut + "…", (first + " " + rest).strip()
    return first, rest
