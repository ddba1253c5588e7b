from __future__ import annotations

import ast

from prunelint.rules.base import Invalid
from prunelint.rules.node_rule import NodeRule


class PositionalPrunerArguments(NodeRule):
    """A pruner is given more than three positional arguments.

    Only `model`, `example_inputs` and `importance` are meant to be positional. In torch-pruning
    1.6.1 the 4th positional parameter of `BasePruner` (and of its aliases `MetaPruner` and
    `MagnitudePruner`) is `global_pruning`, not `pruning_ratio`: `BasePruner(model, x, imp, 0.5)`
    turns on global pruning and keeps the default ratio of 0.5, silently. The regularising
    pruners (`BNScalePruner`, `GroupNormPruner`, `GrowingRegPruner`) take `reg` there instead,
    and the order has changed between releases (`ch_sparsity` became `pruning_ratio` in 1.3), so
    positional arguments bind something other than what was meant. The message names what each
    extra argument binds. Pass everything after the first three by keyword.
    """

    CODE = "PRL104"
    NAME = "positional-pruner-arguments"
    MESSAGE = (
        "{count} positional arguments to `{cls}`: {binding}. Pass everything after `model`, "
        "`example_inputs` and `importance` by keyword."
    )
    PREFILTER_WORDS = ("torch_pruning",)

    VALID = [
        """
import torch_pruning as tp

pruner = tp.pruner.BasePruner(model, example_inputs, imp, pruning_ratio=0.5)
""",
        """
import torch_pruning as tp
p1 = tp.pruner.BasePruner(model, example_inputs, imp, pruning_ratio=0.5, global_pruning=True)
p2 = tp.pruner.GroupNormPruner(model, example_inputs, importance=imp, reg=1e-4)
p3 = tp.pruner.BasePruner(*args, **kwargs)
""",
        # Not a pruner: another class with four positional arguments.
        """
import torch_pruning as tp
imp = tp.importance.GroupMagnitudeImportance(2, "mean", None, True)
trainer = Trainer(model, data, optimizer, scheduler)
""",
    ]
    INVALID = [
        Invalid("""
import torch_pruning as tp

pruner = tp.pruner.BasePruner(model, example_inputs, imp, 0.5)
""", line=4),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.MetaPruner(model, example_inputs, imp, 0.5, ignored_layers=[model.fc])
""",
            3,
        ),
        Invalid(
            """
from torch_pruning.pruner import GroupNormPruner
pruner = GroupNormPruner(
    model,
    example_inputs,
    imp,
    0.5,
)
""",
            3,
        ),
    ]

    def on_pruner_call(self, node: ast.Call, cls: str) -> None:
        limit = int(self.api.table("pruner_keywords").get("positional_limit", 3))
        positional = [arg for arg in node.args if type(arg) is not ast.Starred]
        if len(positional) <= limit or len(positional) < len(node.args):
            return
        signature = list(self.api.table("pruner_signatures").get(cls, ()))
        bindings = []
        for index, arg in enumerate(positional[limit:], start=limit):
            ordinal = _ordinal(index + 1)
            if index < len(signature):
                bindings.append(f"the {ordinal} (`{self.code(arg)}`) binds `{signature[index]}`")
            else:
                bindings.append(f"the {ordinal} is `{self.code(arg)}`")
        self.report(node, self.MESSAGE.format(count=len(positional), cls=cls, binding="; ".join(bindings)))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
