"""A `NodeRule`'s reports as findings: positions and fix edits from the parser's positions."""

from __future__ import annotations

from prunelint.diagnostics import Diagnostic, Edit, Fix
from prunelint.model.text import SourceText
from prunelint.model.report import NodeEdit, Report
from prunelint.rules.node_rule import NodeRule


def node_findings(rules: list[NodeRule], text: SourceText) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for rule in rules:
        found.extend(rule.findings)
        found.extend(_diagnostic(rule, report, text) for report in rule.reports)
    return found


def _edit(edit: NodeEdit, text: SourceText) -> Edit:
    start, end = text.start(edit.node), text.end(edit.node)  # type: ignore[arg-type]
    if edit.where == "before":
        return Edit(edit.content, start, start)
    if edit.where == "after":
        return Edit(edit.content, end, end)
    return Edit(edit.content, start, end)


def _diagnostic(rule: NodeRule, report: Report, text: SourceText) -> Diagnostic:
    fix = None
    if report.fix is not None:
        fix = Fix(report.fix.message, tuple(_edit(e, text) for e in report.fix.edits), report.fix.applicability)
    return Diagnostic(
        code=rule.CODE,
        message=report.message,
        filename=rule.filename,
        location=text.start(report.node),  # type: ignore[arg-type]
        end_location=text.end(report.end_node or report.node),  # type: ignore[arg-type]
        fix=fix,
        url=rule.info().url,
    )
