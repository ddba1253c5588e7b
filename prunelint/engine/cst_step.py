"""Third-party rules still written over libcst (`CstRule`): the file parsed by libcst for them.

Only such a rule costs a libcst parse; the built-in rules read CPython's tree
(`prunelint.engine.step`). Imported only when one is selected.
"""

from __future__ import annotations

import ast
from contextlib import ExitStack

import libcst as cst
from libcst.metadata import MetadataWrapper

from prunelint.analysis.deepstack import with_deep_stack
from prunelint.analysis.imports import ImportNames
from prunelint.analysis.parse import parse_module
from prunelint.analysis.positions import StatementLines
from prunelint.analysis.traversal import visit_batched
from prunelint.diagnostics import Diagnostic
from prunelint.io.source import Source, file_error
from prunelint.rules.base import Rule
from prunelint.rules.visitor import RuleVisitor, findings
from prunelint.settings.apidata import ApiData


def run_cst_rules(source: Source, api: ApiData, cst_rules: tuple[type[Rule], ...], tree: ast.Module) -> list[Diagnostic]:
    lines = StatementLines.from_tree(source.text, tree)
    return with_deep_stack(lambda: _run(source, api, cst_rules, lines))


def _run(source: Source, api: ApiData, cst_rules: tuple[type[Rule], ...], lines: StatementLines) -> list[Diagnostic]:
    try:
        module = parse_module(source.text)
    except cst.ParserSyntaxError as exc:
        message = f"libcst cannot parse this file: {exc.message}"
        return [file_error(source.filename, message, exc.raw_line, exc.raw_column + 1)]
    names = ImportNames()
    memo: dict = {}
    rules = [rule(source.filename, api, names, memo) for rule in cst_rules]
    batch: list[cst.BatchableCSTVisitor] = [names]
    parents = None
    if any("pruning_flow" in getattr(rule, "SHARED_PASSES", ()) for rule in rules):
        from prunelint.analysis.pruning_flow import FlowWalker

        flow = FlowWalker(memo)  # ahead of the rules: its leave_Module runs before theirs
        batch.append(flow)
        parents = flow.parents
    batch.extend(RuleVisitor.for_rule(rule) for rule in rules)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    with ExitStack() as metadata:
        # Metadata providers only for a rule that declares one.
        for visitor in batch:
            if visitor.get_inherited_dependencies():
                metadata.enter_context(visitor.resolve(wrapper))
        visit_batched(module, batch, parents=parents)
    return findings(rules, module, lines)
