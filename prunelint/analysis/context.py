"""What project rules see: the whole linted tree's facts, and analyses computed once on demand."""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING, Mapping, Protocol

from prunelint.analysis.builders import BuildIndex, CallOutcome
from prunelint.analysis.facts import Loc, Span
from prunelint.analysis.project import Project
from prunelint.diagnostics import Diagnostic, Fix
from prunelint.io.paths import display_path

if TYPE_CHECKING:
    from prunelint.io.cells import CellMap
    from prunelint.model.located import LocatedFile


class Reporting(Protocol):
    """The rule a finding is made for: a `Rule` class or instance."""

    CODE: str

    def url(self) -> str: ...


class ProjectContext:
    def __init__(
        self, project: Project, texts: Mapping[str, str], cells: "Mapping[str, CellMap] | None" = None
    ) -> None:
        self.project = project
        self._texts = texts  # absolute path -> source, to locate nodes on demand
        self._cells = cells or {}  # absolute path -> rows of a notebook's cells
        self._reparsed: dict[str, LocatedFile] = {}

    def reparsed(self, path: str) -> "LocatedFile":
        """The file parsed again, once, for the positions and fixes of its findings."""
        path = os.path.abspath(path)
        if path not in self._reparsed:
            from prunelint.model.located import LocatedFile  # only when there is a finding

            self._reparsed[path] = LocatedFile(self._texts[path])
        return self._reparsed[path]

    def span(self, path: str, loc: Loc) -> Span:
        return self.reparsed(path).span(loc)

    def text(self, path: str) -> str:
        """The source of an analysed file, as it was linted (in memory while fixing)."""
        return self._texts[os.path.abspath(path)]

    def where(self, origin_path: str, loc: Loc, here: str) -> str:
        """`line N` in the file being reported, `path:N` elsewhere."""
        line = self.span(origin_path, loc).start.row
        cells = self._cells.get(os.path.abspath(origin_path))
        if cells is not None:  # a notebook: its rows are virtual, the user sees cells
            place = cells.describe(line)
            if os.path.abspath(origin_path) == os.path.abspath(here):
                return place
            return f"{display_path(origin_path)} ({place})"
        if os.path.abspath(origin_path) == os.path.abspath(here):
            return f"line {line}"
        return f"{display_path(origin_path)}:{line}"

    @cached_property
    def build_index(self) -> "BuildIndexView":
        return BuildIndexView(BuildIndex(self.project))

    def diagnostic(
        self,
        rule: "type[Reporting] | Reporting",
        path: str,
        loc: Loc,
        message: str,
        filename: str,
        fix: Fix | None = None,
    ) -> Diagnostic:
        span = self.span(path, loc)
        return Diagnostic(
            code=rule.CODE,
            message=message,
            filename=filename,
            location=span.start,
            end_location=span.end,
            fix=fix,
            url=rule.url(),
        )


class BuildIndexView:
    """The build index with its flagged calls grouped by file, computed once."""

    def __init__(self, index: BuildIndex) -> None:
        self.index = index
        self._by_file: dict[str, list[CallOutcome]] = {}
        for path, outcome in index.disabled_calls():
            self._by_file.setdefault(path, []).append(outcome)

    def disabled_calls_in(self, path: str) -> list[CallOutcome]:
        return self._by_file.get(os.path.abspath(path), [])

    def builder_names(self) -> set[str]:
        """Last names of the functions that build, for deciding which other files to parse."""
        names = set()
        for _path, qualname in self.index.builders():
            names.add(qualname.rsplit(".", 1)[-1])
        return names
