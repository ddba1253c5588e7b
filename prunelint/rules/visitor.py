"""Runs third-party `CstRule`s in one libcst walk, and turns their reports into findings.

Only libcst's public API: its batched walk and its PositionProvider, resolved only for a file
with a report. Imported only when such a rule is selected, so it may import libcst at the top.
"""

from __future__ import annotations

import functools
from typing import Any, Mapping

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from prunelint.diagnostics import Diagnostic, Position
from prunelint.model.report import Report, as_diagnostic
from prunelint.rules.cst_rule import CstRule


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
        rule = self.rule
        return {
            name: getattr(rule, name)
            for name in dir(type(rule))
            if name.startswith(("visit_", "leave_")) and callable(getattr(rule, name))
        }


@functools.cache
def _visitor_class(rule_class: type[CstRule]) -> type[RuleVisitor]:
    # libcst reads metadata dependencies from the class: one class per rule, made once.
    return type(
        f"{rule_class.__name__}Visitor",
        (RuleVisitor,),
        {"METADATA_DEPENDENCIES": tuple(rule_class.METADATA_DEPENDENCIES)},
    )


def run_rules(module: cst.Module, visitors: list[cst.BatchableCSTVisitor], rules: list[CstRule]) -> list[Diagnostic]:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    wrapper.visit_batched([*visitors, *(RuleVisitor.for_rule(rule) for rule in rules)])
    return findings(rules, wrapper)


def findings(rules: list[CstRule], wrapper: MetadataWrapper) -> list[Diagnostic]:
    """Every rule's findings; positions are resolved only for a file with a report."""
    found: list[Diagnostic] = []
    for rule in rules:
        rule._metadata = None
        found.extend(rule.findings)
    if any(rule.reports for rule in rules):
        positions = wrapper.resolve(PositionProvider)
        for rule in rules:
            found.extend(_diagnostic(rule, report, positions) for report in rule.reports)
    return found


def _start(positions: Mapping[cst.CSTNode, Any], node: cst.CSTNode) -> Position:
    rng = positions[node]
    return Position(rng.start.line, rng.start.column + 1)


def _end(positions: Mapping[cst.CSTNode, Any], node: cst.CSTNode) -> Position:
    rng = positions[node]
    return Position(rng.end.line, rng.end.column + 1)


def _diagnostic(rule: CstRule, report: Report, positions: Mapping[cst.CSTNode, Any]) -> Diagnostic:
    return as_diagnostic(
        report, rule.CODE, rule.filename, rule.url(), functools.partial(_start, positions), functools.partial(_end, positions)
    )
