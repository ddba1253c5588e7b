"""Third-party rules written over libcst (`CstRule`): the file parsed by libcst for them.

Only such a rule costs a libcst parse; the built-in rules read CPython's tree
(`prunelint.engine.step`). Imported only when one is selected.
"""

from __future__ import annotations

import ast

import libcst as cst

from prunelint.analysis.deepstack import with_deep_stack
from prunelint.model.names import ImportNames
from prunelint.model.walk import walk
from prunelint.analysis.parse import libcst_module
from prunelint.diagnostics import Diagnostic
from prunelint.io.source import Source, file_error
from prunelint.rules.base import Rule
from prunelint.rules.visitor import run_rules
from prunelint.settings.apidata import ApiData


def run_cst_rules(source: Source, api: ApiData, cst_rules: tuple[type[Rule], ...], tree: ast.Module) -> list[Diagnostic]:
    return with_deep_stack(lambda: _run(source, api, cst_rules, tree))


def _run(source: Source, api: ApiData, cst_rules: tuple[type[Rule], ...], tree: ast.Module) -> list[Diagnostic]:
    try:
        module = libcst_module(source.text)
    except cst.ParserSyntaxError as exc:
        message = f"libcst cannot parse this file: {exc.message}"
        return [file_error(source.filename, message, exc.raw_line, exc.raw_column + 1)]
    names = ImportNames()
    walk(tree, [names])  # the file's imports and bindings, read from CPython's tree
    rules = [rule(source.filename, api, names) for rule in cst_rules]
    return run_rules(module, [], rules)
