from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from prunelint.model.arguments import NOT_LITERAL, arguments, is_empty_container, is_number, literal
from prunelint.rules.base import Invalid
from prunelint.rules.node_rule import NodeRule

if TYPE_CHECKING:
    from prunelint.model.arguments import Arguments


class HalfConfiguredHeadPruning(NodeRule):
    """Head pruning is half configured: heads are silently not pruned.

    Torch-Pruning 1.6.1 removes whole attention heads only when three arguments agree:
    `num_heads` maps each q/k/v projection to its number of heads, `prune_num_heads=True`, and a
    head pruning ratio above 0 (`head_pruning_ratio`, or `head_pruning_ratio_dict`). With any one
    missing, the pruner runs without a word and every head stays; only head dimensions or other
    channels are pruned, and the latency gain that was the point of head pruning does not come
    (#101, #287 and #516 show how hard head pruning is to get right).

    The rule flags `prune_num_heads=True` with no ratio (the default is 0.0) or with no
    `num_heads`, and a head ratio above 0 with no `prune_num_heads` or with no `num_heads`.
    `num_heads` alone is fine: it keeps the head dimensions consistent when dimensions are pruned
    (`prune_head_dims=True`, the default). An explicit `prune_num_heads=False` means head pruning
    is off on purpose. Only literal values are judged, and `**kwargs` may carry the missing
    argument, so a call with one is not judged.
    """

    CODE = "PRL106"
    NAME = "half-configured-head-pruning"
    MESSAGE = "Head pruning is half configured: {detail}, so no head is pruned, silently. {fix}"
    PREFILTER_WORDS = ("torch_pruning",)

    VALID = [
        # Dimensions only: num_heads keeps the heads consistent.
        """
import torch_pruning as tp

pruner = tp.pruner.BasePruner(
    model, example_inputs, importance=imp, num_heads=num_heads,
    prune_num_heads=True, head_pruning_ratio=0.5,
)
""",
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, num_heads=num_heads, prune_head_dims=True)
""",
        # Values from the command line: not judged.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, num_heads=num_heads,
                              prune_num_heads=args.prune_num_heads, head_pruning_ratio=0.5)
""",
        # Head pruning switched off on purpose.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, num_heads=num_heads,
                              prune_num_heads=False, head_pruning_ratio=0.5)
""",
        # A per-layer head ratio stands in for head_pruning_ratio; **kwargs may carry anything.
        """
import torch_pruning as tp
p1 = tp.pruner.BasePruner(model, x, importance=imp, num_heads=num_heads, prune_num_heads=True,
                          head_pruning_ratio_dict={model.blocks[0].attn.qkv: 0.5})
p2 = tp.pruner.BasePruner(model, x, importance=imp, prune_num_heads=True, **head_config)
""",
    ]
    INVALID = [
        Invalid("""
import torch_pruning as tp

pruner = tp.pruner.BasePruner(
    model, example_inputs, importance=imp, num_heads=num_heads, prune_num_heads=True
)
""", line=4),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, num_heads=num_heads,
                              prune_num_heads=True, head_pruning_ratio=0.0)
""",
            3,
        ),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, num_heads=num_heads,
                              head_pruning_ratio=0.5)
""",
            3,
        ),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, prune_num_heads=True,
                              head_pruning_ratio=0.25)
""",
            3,
        ),
    ]

    def on_pruner_call(self, node: ast.Call, cls: str) -> None:
        keywords = self.api.table("pruner_keywords")
        args = arguments(node, cls, self.api)
        found = _problem(args, keywords.get("num_heads", "num_heads"),
                         keywords.get("prune_num_heads", "prune_num_heads"),
                         tuple(keywords.get("head_pruning_ratio", ("head_pruning_ratio",))))
        if found is not None:
            self.report(node, self.MESSAGE.format(detail=found[0], fix=found[1]))


def _problem(args: "Arguments", heads: str, switch: str, ratios: tuple[str, ...]) -> tuple[str, str] | None:
    switch_value = literal(args.get(switch)) if args.get(switch) is not None else None
    switch_on = switch_value is True
    switch_missing = args.absent(switch)
    ratio_state = _ratio_state(args, ratios)  # "positive", "zero", "unknown"
    heads_value = args.get(heads)
    heads_missing = args.absent(heads) or (heads_value is not None and is_empty_container(heads_value))
    if switch_on and ratio_state == "zero":
        return (
            "`prune_num_heads=True` with no head pruning ratio (the default is 0.0)",
            "Add `head_pruning_ratio=0.5`, say.",
        )
    if ratio_state == "positive" and switch_missing:
        return (
            "a head pruning ratio above 0 without `prune_num_heads=True` (the default is False)",
            "Add `prune_num_heads=True`.",
        )
    if (switch_on or ratio_state == "positive") and heads_missing:
        return (
            "heads are to be pruned but `num_heads` does not say which layers hold them",
            "Pass `num_heads={qkv_linear: n_heads, ...}` for each attention projection.",
        )
    return None


def _ratio_state(args: "Arguments", ratios: tuple[str, ...]) -> str:
    if args.open and all(args.get(r) is None for r in ratios):
        return "unknown"
    state = "zero"
    for name in ratios:
        value = args.get(name)
        if value is None or is_empty_container(value):
            continue
        number = literal(value)
        if number is None or (is_number(number) and number <= 0):
            continue
        if number is NOT_LITERAL and not name.endswith("_dict"):
            return "unknown"
        if number is NOT_LITERAL:
            # A dict literal with some ratio above 0 prunes heads; anything else is unknown.
            state = "positive" if _dict_has_positive(value) else "unknown"
            continue
        return "positive" if is_number(number) else "unknown"
    return state


def _dict_has_positive(value: ast.expr) -> bool:
    if type(value) is not ast.Dict:
        return False
    for key, item in zip(value.keys, value.values):
        number = literal(item) if key is not None else NOT_LITERAL  # a None key: `**other`
        if is_number(number) and number > 0:
            return True
    return False
