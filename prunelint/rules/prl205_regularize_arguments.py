from __future__ import annotations

import ast

from prunelint.model.flow import ScopeFlow, pruner_vars
from prunelint.rules.base import Invalid
from prunelint.rules.flow_rule import FlowRule


class RegularizeArguments(FlowRule):
    """`regularize()` is called where it does nothing, or with the loss as its second argument.

    In Torch-Pruning 1.6.1 only the sparse-training pruners regularize
    (`pruner/algorithms/*.py`): `BasePruner.regularize(model, loss)` is `pass`, and
    `MetaPruner` and `MagnitudePruner` are aliases of `BasePruner`, so sparse training with
    them trains dense, silently. The others take no loss: the second positional parameter is
    `alpha` for `GroupNormPruner.regularize(model, alpha=2**4)`, `reg` for
    `BNScalePruner.regularize(model, reg=None)` and `bias` for `GrowingRegPruner`, so
    `regularize(model, loss)` passes the loss tensor as that (it is the documented
    signature of `BasePruner` only). PRL202 covers the order of the calls.

    Reported at the call, for a pruner built in the same scope and bound once.
    """

    CODE = "PRL205"
    NAME = "regularize-arguments"
    MESSAGE = "`{call}` {problem}"
    NO_OP = (
        "does nothing: `{cls}.regularize` is a no-op. No sparsity is learnt: build a "
        "`GroupNormPruner`, `BNScalePruner` or `GrowingRegPruner` for sparse training."
    )
    SECOND = (
        "passes `{arg}` as `{parameter}`. `{cls}.regularize(model, {parameter}=...)` takes no loss: "
        "call `{receiver}.regularize(model)` after `loss.backward()`."
    )
    PREFILTER_WORDS = ("regularize&torch_pruning",)

    VALID = [
        """
import torch_pruning as tp
pruner = tp.pruner.GroupNormPruner(model, x, importance=imp, reg=1e-4)
loss.backward()
pruner.regularize(model, alpha=8)
bn = tp.pruner.BNScalePruner(model, x, importance=imp)
bn.regularize(model, reg=1e-5)
""",
        # Not a Torch-Pruning pruner.
        """
pruner = MyPruner(model)
pruner.regularize(model, loss)
""",
    ]
    INVALID = [
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.MagnitudePruner(model, x, importance=imp)
loss.backward()
pruner.regularize(model)
""",
            line=5,
        ),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BNScalePruner(model, x, importance=imp)
def train_step(loss):
    loss.backward()
pruner.regularize(model, loss)
""",
            line=6,
        ),
    ]

    def check_scope(self, scope: ScopeFlow) -> None:
        table = self.api.table("regularize")
        no_op = table.get("no_op", ())
        second = table.get("second_parameter", {})
        for pruner in pruner_vars(scope, self):
            for call in scope.method_calls(pruner.name, "regularize"):
                if call.index <= pruner.binding.index:
                    continue
                text = f"{pruner.name}.regularize(...)"
                if pruner.cls in no_op:
                    self.report(call.node, self.MESSAGE.format(call=text, problem=self.NO_OP.format(cls=pruner.cls)))
                    continue
                parameter = second.get(pruner.cls)
                arg = call.positional(1)
                if parameter is not None and arg is not None:
                    written = self.code(arg, parentheses=True)
                    problem = self.SECOND.format(arg=written, parameter=parameter, cls=pruner.cls, receiver=pruner.name)
                    self.report(call.node, self.MESSAGE.format(call=text, problem=problem))
