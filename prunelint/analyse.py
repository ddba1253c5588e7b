"""Parse one file and collect its facts and per-file findings: the unit of work of a job."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper

from prunelint.analysis.collector import FactCollector
from prunelint.analysis.facts import ModuleFacts
from prunelint.apidata import ApiData
from prunelint.diagnostics import Diagnostic
from prunelint.rules.base import CstRule
from prunelint.source import Source, file_error


@dataclass
class FileResult:
    source: Source
    facts: ModuleFacts | None
    diagnostics: list[Diagnostic]


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
