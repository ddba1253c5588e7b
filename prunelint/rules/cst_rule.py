"""Per-file rules: libcst visitors run in the single pass that also collects the shared facts."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import PositionProvider

from prunelint.diagnostics import Diagnostic, Fix, Position
from prunelint.rules.base import Rule


class CstRule(Rule, cst.BatchableCSTVisitor):
    """A per-file rule: implement `visit_*`/`leave_*` and call `self.report(node, message)`."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, filename: str) -> None:
        super().__init__()
        self.filename = filename
        self.findings: list[Diagnostic] = []

    def report(self, node: cst.CSTNode, message: str | None = None, fix: Fix | None = None) -> None:
        rng = self.get_metadata(PositionProvider, node)
        self.findings.append(
            Diagnostic(
                code=self.CODE,
                message=message or self.MESSAGE,
                filename=self.filename,
                location=Position(rng.start.line, rng.start.column + 1),
                end_location=Position(rng.end.line, rng.end.column + 1),
                fix=fix,
                url=self.info().url,
            )
        )
