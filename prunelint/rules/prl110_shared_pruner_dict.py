from __future__ import annotations

import ast

from prunelint.model.flow import ScopeFlow, pruner_vars
from prunelint.rules.base import Invalid
from prunelint.rules.flow_rule import FlowRule


class SharedPrunerDict(FlowRule):
    """One `num_heads` (or `out_channel_groups`, `in_channel_groups`) dict is given to two pruners.

    `BasePruner.__init__` and `_prune` update these dicts in place (Torch-Pruning 1.6.1,
    `pruner/algorithms/base_pruner.py`): the head counts are rewritten as heads are pruned, and
    the channel groups it detects are added to the caller's dict. The second pruner built from
    the same dict object therefore starts from the first one's leftovers: wrong head counts,
    or groups of modules of another model. Pass each pruner its own dict (`dict(num_heads)`, or
    build it again).

    Reported at the second construction, when both pruners are built in the same scope from
    the same name and the name is not rebound between them.
    """

    CODE = "PRL110"
    NAME = "shared-pruner-dict"
    MESSAGE = (
        "`{keyword}={name}` is the dict `{first}` was already given. Torch-Pruning changes it in "
        "place, so `{second}` starts from `{first}`'s leftovers: pass a fresh dict, e.g. "
        "`{keyword}=dict({name})`."
    )
    PREFILTER_WORDS = ("torch_pruning",)

    VALID = [
        """
import torch_pruning as tp
heads = make_heads(model)
first = tp.pruner.BasePruner(model, x, importance=imp, num_heads=heads)
heads = make_heads(model)
second = tp.pruner.BasePruner(model, x, importance=imp, num_heads=heads)
""",
        # Different dicts, and one pruner per scope.
        """
import torch_pruning as tp
def build(model, x, heads):
    return tp.pruner.BasePruner(model, x, importance=imp, num_heads=heads)
a = tp.pruner.BasePruner(model, x, importance=imp, num_heads=heads_a)
b = tp.pruner.BasePruner(model, x, importance=imp, out_channel_groups=heads_a)
""",
    ]
    INVALID = [
        Invalid(
            """
import torch_pruning as tp
def compare(model, x, groups):
    magnitude = tp.pruner.BasePruner(model, x, importance=mag, out_channel_groups=groups)
    taylor = tp.pruner.GroupNormPruner(model, x, importance=tay, out_channel_groups=groups)
""",
            line=5,
        ),
    ]

    def check_scope(self, scope: ScopeFlow) -> None:
        keywords = self.api.table("shared_dicts").get("keywords", ())
        seen: dict[tuple[str, str], object] = {}
        for pruner in sorted(pruner_vars(scope, self), key=lambda p: p.binding.index):
            for keyword in keywords:
                value = pruner.argument(keyword)
                if type(value) is not ast.Name:
                    continue
                key = (keyword, value.id)
                earlier = seen.get(key)
                seen[key] = pruner
                if earlier is None:
                    continue
                rebound = any(
                    earlier.binding.index < b.index < pruner.binding.index for b in scope.bindings_of(value.id)
                )
                if rebound:
                    continue
                self.report(
                    value,
                    self.MESSAGE.format(keyword=keyword, name=value.id, first=earlier.name, second=pruner.name),
                )
