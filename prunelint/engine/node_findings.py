"""A `NodeRule`'s reports as findings: positions and fix edits from the parser's positions."""

from __future__ import annotations

from prunelint.diagnostics import Diagnostic
from prunelint.model.report import as_diagnostic
from prunelint.model.text import SourceText
from prunelint.rules.node_rule import NodeRule


def node_findings(rules: list[NodeRule], text: SourceText) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for rule in rules:
        found.extend(rule.findings)
        if not rule.reports:
            continue  # most rules find nothing in most files
        url = rule.url()
        found.extend(
            as_diagnostic(report, rule.CODE, rule.filename, url, text.start, text.end) for report in rule.reports
        )
    return found
