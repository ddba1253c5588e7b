"""Runs `CstRule`s inside libcst's batched traversal and turns their reports into findings.

Imported only when a file is parsed, so it may import libcst at the top.
"""

from __future__ import annotations

import functools
from typing import Any, Mapping

import libcst as cst

from prunelint.diagnostics import Diagnostic, Edit, Fix, Position
from prunelint.analysis.positions import StatementLines, node_ranges
from prunelint.rules.cst_rule import CstRule, NodeEdit, Report
from prunelint.analysis.traversal import bound_visitors


class RuleVisitor(cst.BatchableCSTVisitor):
    """Hands libcst the rule's own `visit_*`/`leave_*` methods, and its metadata."""

    def __init__(self, rule: CstRule) -> None:
        super().__init__()
        self.rule = rule
        rule._metadata = self

    @classmethod
    def for_rule(cls, rule: CstRule) -> "RuleVisitor":
        return _visitor_class(type(rule))(rule)

    def get_visitors(self) -> Mapping[str, Any]:
        return bound_visitors(self.rule)


@functools.cache
def _visitor_class(rule_class: type[CstRule]) -> type[RuleVisitor]:
    # Metadata dependencies are read from the class, so each rule gets a class of its own:
    # made once per rule, not once per rule and file.
    return type(
        f"{rule_class.__name__}Visitor",
        (RuleVisitor,),
        {"METADATA_DEPENDENCIES": tuple(rule_class.METADATA_DEPENDENCIES)},
    )


def findings(rules: list[CstRule], module: cst.Module, lines: StatementLines | None = None) -> list[Diagnostic]:
    """Every rule's findings in `module`. Positions are computed for the reported nodes only,
    and only in files with a report: libcst's PositionProvider costs more than the parse."""
    found: list[Diagnostic] = []
    wanted: list[cst.CSTNode] = []
    for rule in rules:
        rule._metadata = None
        found.extend(rule.findings)
        for report in rule.reports:
            wanted.append(report.node)
            if report.end_node is not None:
                wanted.append(report.end_node)
            if report.fix is not None:
                wanted.extend(edit.node for edit in report.fix.edits)
    if wanted:
        positions = node_ranges(module, wanted, lines)
        for rule in rules:
            found.extend(_diagnostic(rule, report, positions) for report in rule.reports)
    return found


def _start(positions: Mapping[cst.CSTNode, Any], node: cst.CSTNode) -> Position:
    rng = positions[node]
    return Position(rng.start.line, rng.start.column + 1)


def _end(positions: Mapping[cst.CSTNode, Any], node: cst.CSTNode) -> Position:
    rng = positions[node]
    return Position(rng.end.line, rng.end.column + 1)


def _edit(edit: NodeEdit, positions: Mapping[cst.CSTNode, Any]) -> Edit:
    start, end = _start(positions, edit.node), _end(positions, edit.node)
    if edit.where == "before":
        return Edit(edit.content, start, start)
    if edit.where == "after":
        return Edit(edit.content, end, end)
    return Edit(edit.content, start, end)


def _diagnostic(rule: CstRule, report: Report, positions: Mapping[cst.CSTNode, Any]) -> Diagnostic:
    fix = None
    if report.fix is not None:
        edits = tuple(_edit(e, positions) for e in report.fix.edits)
        fix = Fix(report.fix.message, edits, report.fix.applicability)
    return Diagnostic(
        code=rule.CODE,
        message=report.message,
        filename=rule.filename,
        location=_start(positions, report.node),
        end_location=_end(positions, report.end_node or report.node),
        fix=fix,
        url=rule.info().url,
    )
