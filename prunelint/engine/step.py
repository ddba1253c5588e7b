"""Parse one file and collect its facts and per-file findings: the unit of work of a job.

The file is read once, by CPython's parser: the tree its syntax check makes anyway is walked
once, by the fact collector, the flow recorder and every `NodeRule`/`FlowRule` together. libcst
is imported and parsed only for a third-party `CstRule` (`prunelint.engine.cst_step`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from prunelint.analysis.deepstack import with_deep_stack
from prunelint.analysis.facts import ModuleFacts
from prunelint.analysis.parse import python_parse
from prunelint.diagnostics import Diagnostic
from prunelint.engine.prefilter import mentions
from prunelint.engine.results import FileResult
from prunelint.io.source import Source, file_error
from prunelint.io.vendored import Copies
from prunelint.model.collector import FactCollector
from prunelint.model.flow import FlowWalker
from prunelint.model.names import ImportNames
from prunelint.model.pruner_calls import PrunerCalls
from prunelint.engine.node_findings import node_findings
from prunelint.model.text import SourceText
from prunelint.model.walk import walk
from prunelint.rules.base import Rule
from prunelint.rules.flow_rule import FlowRule
from prunelint.rules.node_rule import NodeRule
from prunelint.settings.apidata import ApiData


def analyse(
    source: Source,
    api: ApiData,
    cst_rules: tuple[type[Rule], ...],
    roots: tuple[str, ...] = (),
    prefilter: bool = False,
    copies: Copies | None = None,
) -> FileResult:
    """`cst_rules`: the selected per-file rules, of either kind. With `prefilter`, a rule runs
    only on a file that mentions one of its PREFILTER_WORDS: what the run's prefilter promises
    of every file it skips holds of each rule (a file is parsed when it has some rule's words,
    and the facts' own words). `copies`: the run's judgement of vendored Torch-Pruning copies."""
    if prefilter:
        cst_rules = _mentioned(cst_rules, source, api)
    if any(rule.JUDGES_INSTALLED_API for rule in cst_rules) and (copies or Copies()).imports_older_copy(source.path, roots):
        cst_rules = tuple(rule for rule in cst_rules if not rule.JUDGES_INSTALLED_API)
    node_rules = tuple(r for r in cst_rules if issubclass(r, NodeRule))
    libcst_rules = tuple(r for r in cst_rules if not issubclass(r, NodeRule))
    with collection_paused():
        tree = python_parse(source)
        if isinstance(tree, Diagnostic):
            return FileResult(source, None, [tree])
        try:
            facts, found = with_deep_stack(lambda: _read(source, api, node_rules, tree))
            if libcst_rules:
                from prunelint.engine.cst_step import run_cst_rules

                found.extend(run_cst_rules(source, api, libcst_rules, tree))
        except RecursionError:
            return FileResult(source, None, [file_error(source.filename, "too deeply nested to analyse")])
        except MemoryError:
            return FileResult(source, None, [file_error(source.filename, "too large to analyse: ran out of memory")])
        # Freed while collection is still paused: the first collection after it would walk
        # every node of the tree, which no finding or fact refers to.
        del tree
        return FileResult(source, facts, found)


def _mentioned(rules: tuple[type[Rule], ...], source: Source, api: ApiData) -> tuple[type[Rule], ...]:
    """The rules whose PREFILTER_WORDS the file mentions, and one of their `file_words` where
    they have some; most rules share their words (`torch_pruning`), and each word is looked
    for once."""
    text = source.text
    found: dict[str, bool] = {}

    def mentioned(words: Iterable[str]) -> bool:
        for word in words:
            hit = found.get(word)
            if hit is None:
                hit = found[word] = mentions(text, word)
            if hit:
                return True
        return False

    ascii_text = text.isascii()
    kept = []
    for rule in rules:
        if rule.PREFILTER_WORDS is not None and not mentioned(rule.PREFILTER_WORDS):
            continue
        if ascii_text:
            words = rule.file_words(api)
            if words is not None and not mentioned(words):
                continue
        kept.append(rule)
    return tuple(kept)


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


def _read(
    source: Source, api: ApiData, node_rules: tuple[type[NodeRule], ...], tree
) -> tuple[ModuleFacts, list[Diagnostic]]:
    """The facts and the findings of the rules written over CPython's tree, in one walk of it."""
    text = SourceText(source.text)
    names = ImportNames()
    collector = FactCollector(source.path, api, text)
    rules = [rule(source.filename, api, names, text) for rule in node_rules]
    visitors: list = [names, collector]
    flow_rules = [rule for rule in rules if isinstance(rule, FlowRule)]
    flow = FlowWalker() if flow_rules else None
    if flow is not None:
        visitors.append(flow)  # ahead of the rules: its records are complete before theirs end
    handlers = [rule.on_pruner_call for rule in rules if type(rule).on_pruner_call is not NodeRule.on_pruner_call]
    after = [PrunerCalls(names, api.pruner_classes, handlers)] if handlers else []
    walk(tree, [*visitors, *rules, *after], parents=flow.parents if flow is not None else None)
    if flow is not None:
        for scope in flow.scopes:
            for rule in flow_rules:
                rule.check_scope(scope)
    return collector.facts, node_findings(rules, text)
