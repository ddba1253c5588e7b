"""The constructions of Torch-Pruning's pruners in one file, told to the rules that ask.

Most rules look at pruner constructions only (`tp.pruner.BasePruner(model, ...)`), and a file's
calls are mostly something else. Rather than each rule visiting every call and asking the
import names what it calls, the walk asks once per call, here, and hands the constructions to
each rule's `on_pruner_call` (`prunelint.rules.node_rule.NodeRule`).
"""

from __future__ import annotations

import ast
from typing import Callable, Mapping, Sequence

from prunelint.model.names import ImportNames

PrunerCallHandler = Callable[[ast.Call, str], None]


class PrunerCalls:
    """A visitor of the shared walk, after the rules: a rule's own `visit_Call` of a call comes
    before its `on_pruner_call` of the same call, as when both were one method."""

    def __init__(self, names: ImportNames, pruner_classes: Mapping[str, str], handlers: Sequence[PrunerCallHandler]) -> None:
        self._names = names
        self._classes = pruner_classes
        self._handlers = tuple(handlers)

    def visit_Call(self, node: ast.Call) -> None:
        name = self._names.qualified(node.func)
        if name is None:
            return
        cls = self._classes.get(name)
        if cls is None:
            return
        for handler in self._handlers:
            handler(node, cls)
