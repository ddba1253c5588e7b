"""Where each row of a notebook's virtual Python source comes from: its cell and its row there.

Kept apart from `notebook.py` so that a `Source` can carry its map without importing the reader.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from prunelint.diagnostics import Position


class CellMap(NamedTuple):
    """Where each virtual row comes from. Index 0 is virtual row 1."""

    cells: tuple[int, ...]  # the cell's number
    rows: tuple[int, ...]  # the row inside the cell, 1-based
    # Columns to add on a row whose magic prefix was dropped (`%time x()` is linted as `x()`).
    shifts: tuple[int, ...]
    # Every cell's text as the user wrote it, by cell number - 1: code frames show these.
    sources: tuple[str, ...] = ()

    def locate(self, position: Position) -> tuple[int, Position] | None:
        index = position.row - 1
        if not 0 <= index < len(self.cells):
            return None
        return self.cells[index], Position(self.rows[index], position.column + self.shifts[index])

    def describe(self, row: int) -> str:
        """`cell 3, line 2` for a virtual row, as messages name another place in the notebook."""
        found = self.locate(Position(row, 1))
        return f"line {row}" if found is None else f"cell {found[0]}, line {found[1].row}"

    def cell_lines(self, cell: int) -> list[str] | None:
        """The lines of one cell as the user wrote them (for a code frame)."""
        if not 0 < cell <= len(self.sources):
            return None
        lines = _LINE_BREAK.split(self.sources[cell - 1])
        if lines[-1] == "":  # the break that ends the last line starts no new one
            lines.pop()
        return lines


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
