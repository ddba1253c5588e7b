"""Rules over the straight-line flow of each scope: the second kind of per-file rule.

A `FlowRule` asks the flow records of `prunelint.model.flow` (every call, binding and read of a
name per scope, in evaluation order, with the compound statements around each) through
`check_scope`, which the engine calls once per scope after the file's one walk. The flow is
recorded once per file, in that walk, whenever a selected rule is a FlowRule. A FlowRule may
also have `visit_*` methods of its own (they run in the same walk, before `check_scope`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prunelint.rules.node_rule import NodeRule

if TYPE_CHECKING:
    from prunelint.model.flow import ScopeFlow


class FlowRule(NodeRule):
    """Implement `check_scope(scope)`, and report with `self.report(node, message)`."""

    def check_scope(self, scope: "ScopeFlow") -> None:
        raise NotImplementedError
