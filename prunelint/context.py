"""What project rules see: the whole linted tree's facts, and analyses computed once on demand."""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING

from prunelint.analysis.builders import BuildIndex, CallOutcome
from prunelint.analysis.facts import Span
from prunelint.analysis.project import Project
from prunelint.diagnostics import Diagnostic, Fix

if TYPE_CHECKING:
    from prunelint.rules.base import Rule


class ProjectContext:
    def __init__(self, project: Project) -> None:
        self.project = project

    @cached_property
    def build_index(self) -> "BuildIndexView":
        return BuildIndexView(BuildIndex(self.project))

    def diagnostic(
        self, rule: "type[Rule] | Rule", span: Span, message: str, filename: str, fix: Fix | None = None
    ) -> Diagnostic:
        return Diagnostic(
            code=rule.CODE,
            message=message,
            filename=filename,
            location=span.start,
            end_location=span.end,
            fix=fix,
            url=rule.info().url,
        )


class BuildIndexView:
    """The build index with its flagged calls grouped by file, computed once."""

    def __init__(self, index: BuildIndex) -> None:
        self.index = index
        self._by_file: dict[str, list[CallOutcome]] = {}
        for path, outcome, _target in index.disabled_calls():
            self._by_file.setdefault(path, []).append(outcome)

    def disabled_calls_in(self, path: str) -> list[CallOutcome]:
        return self._by_file.get(os.path.abspath(path), [])

    def builder_names(self) -> set[str]:
        """Last names of the functions that build, for deciding which other files to parse."""
        names = set()
        for _path, qualname in self.index.builders():
            names.add(qualname.rsplit(".", 1)[-1])
        return names
