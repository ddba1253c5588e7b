"""Parse one file and collect its facts and per-file findings: the unit of work of a job."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import libcst as cst
from libcst.metadata import MetadataWrapper

from prunelint.analysis.collector import FactCollector
from prunelint.settings.apidata import ApiData
from prunelint.analysis.deepstack import with_deep_stack
from prunelint.diagnostics import Diagnostic
from prunelint.engine.results import FileResult
from prunelint.analysis.imports import ImportNames
from prunelint.analysis.parse import parse_module, python_parse
from prunelint.analysis.positions import StatementLines
from prunelint.rules.cst_rule import CstRule
from prunelint.rules.node_rule import NodeRule
from prunelint.model.names import ImportNames as AstImportNames
from prunelint.model.reports import node_findings
from prunelint.model.text import SourceText
from prunelint.model.walk import walk
from prunelint.rules.visitor import RuleVisitor, findings
from prunelint.io.source import Source, file_error
from prunelint.io.vendored import imports_older_copy
from prunelint.analysis.traversal import visit_batched


def analyse(
    source: Source, api: ApiData, cst_rules: tuple[type[CstRule | NodeRule], ...], roots: tuple[str, ...] = ()
) -> FileResult:
    if any(rule.JUDGES_INSTALLED_API for rule in cst_rules) and imports_older_copy(source.path, roots):
        cst_rules = tuple(rule for rule in cst_rules if not rule.JUDGES_INSTALLED_API)
    with collection_paused():
        verdict = python_parse(source)
        if isinstance(verdict, Diagnostic):
            return FileResult(source, None, [verdict])
        node_rules = tuple(r for r in cst_rules if issubclass(r, NodeRule))
        libcst_rules = tuple(r for r in cst_rules if not issubclass(r, NodeRule))
        try:
            found = with_deep_stack(lambda: _read(source, api, node_rules, verdict))
            lines = StatementLines.from_tree(source.text, verdict)
            del verdict  # CPython's tree is large: it is not kept while libcst parses
            result = with_deep_stack(lambda: _analyse(source, api, libcst_rules, lines))
            result.diagnostics.extend(found)
            return result
        except RecursionError:
            return FileResult(source, None, [file_error(source.filename, "too deeply nested to analyse")])
        except MemoryError:
            return FileResult(source, None, [file_error(source.filename, "too large to analyse: ran out of memory")])


@contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while one file is analysed (mypy does the same while it
    parses). A parsed tree is hundreds of thousands of live objects, and each full collection
    the allocations trigger rescans all of them; none of them is garbage. The analysis makes no
    reference cycles of its own (tests/lint/test_memory.py), so reference counting frees the tree,
    and the first collection after the file sweeps up what little cyclic garbage libraries left."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _read(source: Source, api: ApiData, node_rules: tuple[type[NodeRule], ...], tree) -> list[Diagnostic]:
    """The rules written over CPython's tree, in one walk of it."""
    if not node_rules:
        return []
    text = SourceText(source.text)
    names = AstImportNames()
    shared: dict = {}
    rules = [rule(source.filename, api, names, text, shared) for rule in node_rules]
    walk(tree, [names, *rules])
    return node_findings(rules, text)


def _analyse(
    source: Source, api: ApiData, cst_rules: tuple[type[CstRule], ...], lines: StatementLines
) -> FileResult:
    try:
        module = parse_module(source.text)
    except cst.ParserSyntaxError as exc:
        message = f"libcst cannot parse this file: {exc.message}"
        return FileResult(source, None, [file_error(source.filename, message, exc.raw_line, exc.raw_column + 1)])
    names = ImportNames()
    collector = FactCollector(source.path, api)
    memo: dict = {}
    rules = [rule(source.filename, api, names, memo) for rule in cst_rules]
    batch: list[cst.BatchableCSTVisitor] = [names, collector]
    parents = None
    if any("pruning_flow" in rule.SHARED_PASSES for rule in rules):
        from prunelint.analysis.pruning_flow import FlowWalker

        flow = FlowWalker(memo)  # ahead of the rules: its leave_Module runs before theirs
        batch.append(flow)
        parents = flow.parents
    batch.extend(RuleVisitor.for_rule(rule) for rule in rules)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    with ExitStack() as metadata:
        # Metadata providers only for a (plugin) rule that declares one: none of ours does.
        for visitor in batch:
            if visitor.get_inherited_dependencies():
                metadata.enter_context(visitor.resolve(wrapper))
        visit_batched(module, batch, parents=parents)
    return FileResult(source, collector.facts, findings(rules, module, lines))
