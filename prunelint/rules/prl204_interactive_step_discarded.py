from __future__ import annotations

import ast

from prunelint.model.flow import ScopeFlow, bool_literal, pruner_vars
from prunelint.rules.base import Invalid
from prunelint.rules.flow_rule import FlowRule


class InteractiveStepDiscarded(FlowRule):
    """`pruner.step(interactive=True)` is called and its result thrown away: nothing is pruned.

    With `interactive=True`, `step()` returns a generator of groups (Torch-Pruning 1.6.1,
    `BasePruner.step`); the channels are removed only when the caller iterates it and calls
    each group's `.prune()`. A bare `pruner.step(interactive=True)` statement does not even start
    the generator, so the model keeps every channel, silently. Iterating the groups without
    `.prune()` is soft pruning, which is legitimate, and is not reported.
    """

    CODE = "PRL204"
    NAME = "interactive-step-discarded"
    MESSAGE = (
        "`{call}` is never iterated, so nothing is pruned. It returns a generator of groups: "
        "use `for group in {call}: group.prune()`, or drop `interactive=True`."
    )
    PREFILTER_WORDS = ("torch_pruning",)

    VALID = [
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp)
groups = pruner.step(interactive=True)
for g in groups:
    g.prune()
pruner.step(interactive=False)
pruner.step()
""",
        # Not a Torch-Pruning pruner.
        """
scheduler.step(interactive=True)
""",
    ]
    INVALID = [
        Invalid(
            """
import torch_pruning as tp
def prune(model, x, imp):
    pruner = tp.pruner.GroupNormPruner(model, x, importance=imp)
    pruner.step(interactive=True)
    return model
""",
            line=5,
        ),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._statements: set[int] = set()

    def visit_Expr(self, node: ast.Expr) -> None:
        self._statements.add(id(node.value))

    def check_scope(self, scope: ScopeFlow) -> None:
        for pruner in pruner_vars(scope, self):
            for step in pruner.steps():
                if id(step.node) in self._statements and bool_literal(step.keyword("interactive")) is True:
                    self.report(step.node, self.MESSAGE.format(call=f"{pruner.name}.step(interactive=True)"))
