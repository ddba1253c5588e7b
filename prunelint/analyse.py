"""Parse one file and collect its facts and per-file findings: the unit of work of a job."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper

from prunelint.analysis.collector import FactCollector
from prunelint.apidata import ApiData
from prunelint.results import FileResult
from prunelint.rules.cst_rule import CstRule
from prunelint.source import Source, file_error


def analyse(source: Source, api: ApiData, cst_rules: tuple[type[CstRule], ...]) -> FileResult:
    try:
        module = cst.parse_module(source.text)
    except cst.ParserSyntaxError as exc:
        message = f"syntax error: {exc.message}"
        return FileResult(source, None, [file_error(source.filename, message, exc.raw_line, exc.raw_column + 1)])
    except RecursionError:
        return FileResult(source, None, [file_error(source.filename, "too deeply nested to parse")])
    collector = FactCollector(source.path, api)
    rules = [rule(source.filename) for rule in cst_rules]
    try:
        MetadataWrapper(module, unsafe_skip_copy=True).visit_batched([collector, *rules])
    except RecursionError:
        return FileResult(source, None, [file_error(source.filename, "too deeply nested to analyse")])
    return FileResult(source, collector.facts, [d for rule in rules for d in rule.findings])
