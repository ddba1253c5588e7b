from __future__ import annotations

import ast

from prunelint.model.arguments import arguments, is_empty_container, is_number, literal
from prunelint.rules.base import Invalid
from prunelint.rules.node_rule import NodeRule


class PruningRatioOutOfRange(NodeRule):
    """A literal pruning ratio is 0 or less, or 1 or more.

    `pruning_ratio` (and its deprecated alias `ch_sparsity`) is the fraction of channels to
    remove, so it must lie strictly between 0 and 1; the same holds for each value of
    `pruning_ratio_dict` (`ch_sparsity_dict`). In torch-pruning 1.6.1 a ratio of 1.0 prunes
    nothing, without a word, a ratio above 1 raises inside `step()`, and 0 or a negative ratio
    prunes nothing. Users often write a percentage (`pruning_ratio=50`) or "keep ratio" instead of
    "remove ratio" (#334, #206 show how easily the amount pruned differs from the one meant).

    Only literal numbers are judged. A global `pruning_ratio=0` is not flagged when a
    `pruning_ratio_dict` or a head pruning ratio says what to prune instead: that is how a
    single layer, or only heads, are pruned. A ratio of 0 in `pruning_ratio_dict` is flagged: a
    layer that must stay whole belongs in `ignored_layers`. Neither is `pruning_ratio=1` with
    `iterative_steps` above 1: the steps before the last prune, which the latency benchmarks use
    to sweep the whole range.
    """

    CODE = "PRL103"
    NAME = "pruning-ratio-out-of-range"
    MESSAGE = "{what} is {value}: a pruning ratio must lie strictly between 0 and 1. {effect}"
    PREFILTER_WORDS = ("torch_pruning",)

    VALID = [
        # Ratios inside (0, 1), and a ratio that is not a literal.
        """
import torch_pruning as tp

pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp, pruning_ratio=0.5)
""",
        """
import torch_pruning as tp
p1 = tp.pruner.BasePruner(model, x, importance=imp, pruning_ratio=0.5)
p2 = tp.pruner.GroupNormPruner(model, x, imp, pruning_ratio_dict={model.fc: 0.2, model.conv: 0.9})
p3 = tp.pruner.BasePruner(model, x, importance=imp, pruning_ratio=args.pruning_ratio)
p4 = tp.pruner.BasePruner(model, x, importance=imp, pruning_ratio=1 - keep)
""",
        # pruning_ratio=0 with a dict that says what to prune: only those layers are pruned.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, pruning_ratio=0.0,
                              pruning_ratio_dict={model.layer4: 0.5})
""",
        # Only heads are pruned.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, pruning_ratio=0, num_heads=heads,
                              prune_num_heads=True, head_pruning_ratio=0.5)
""",
        # Not Torch-Pruning: another library's pruner with a percentage.
        """
from nni.compression.pruning import L1NormPruner
pruner = L1NormPruner(model, config, pruning_ratio=50)
""",
        # A sweep of the whole range, as Torch-Pruning's latency benchmark does.
        """
import torch_pruning as tp
pruner = tp.pruner.MagnitudePruner(model=model, example_inputs=x, importance=imp,
                                   pruning_ratio=1, iterative_steps=20)
""",
        # max_pruning_ratio=1.0 is the default and fine.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, pruning_ratio=0.3, max_pruning_ratio=1.0)
""",
    ]
    INVALID = [
        Invalid("""
import torch_pruning as tp

pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp, pruning_ratio=50)
""", line=4),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, pruning_ratio=1.0)
""",
            3,
        ),
        Invalid(
            """
from torch_pruning.pruner import MetaPruner
pruner = MetaPruner(model, x, imp, ch_sparsity=-0.5)
""",
            3,
        ),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(
    model, x, importance=imp,
    pruning_ratio_dict={model.features: 0.5, model.classifier: 1},
)
""",
            3,
        ),
        # The 5th positional argument of BasePruner is pruning_ratio.
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, imp, False, 0)
""",
            3,
        ),
    ]

    def on_pruner_call(self, node: ast.Call, cls: str) -> None:
        keywords = self.api.table("pruner_keywords")
        args = arguments(node, cls, self.api)
        for name in keywords.get("ratio", ()):
            value = args.get(name)
            if value is None:
                continue
            number = literal(value)
            if not is_number(number) or 0 < number < 1:
                continue
            if number == 0 and not self._zero_is_meant(args, keywords):
                continue
            if number == 1 and self._sweeps(args):
                continue
            self.report(node, self._message(f"`{name}`", number, in_dict=False))
            return
        for name in keywords.get("ratio_dict", ()):
            value = args.get(name)
            if type(value) is not ast.Dict:
                continue
            for index, (key, item) in enumerate(zip(value.keys, value.values)):
                if key is None:  # `**other`
                    continue
                number = literal(item)
                if is_number(number) and not 0 < number < 1:
                    what = f"`{name}[{self._key_code(value, index)}]`"
                    self.report(node, self._message(what, number, in_dict=True))
                    return

    def _key_code(self, table: ast.Dict, index: int, limit: int = 60) -> str:
        """The code of the dict's `index`-th key with the parentheses written around it, as
        libcst gave it for messages (`(model.fc)`, `( # comment model.fc)`)."""
        return self.code(table.keys[index], limit, parentheses=True)  # type: ignore[arg-type]

    @staticmethod
    def _sweeps(args) -> bool:
        """Iterative pruning up to 1.0 prunes at every step but the last: the latency sweeps of
        Torch-Pruning's own benchmarks do it on purpose."""
        steps = args.get("iterative_steps")
        if steps is None:
            return args.open
        count = literal(steps)
        return not is_number(count) or count > 1

    @staticmethod
    def _zero_is_meant(args, keywords) -> bool:
        """False where a zero global ratio leaves the pruning to a dict or to head pruning."""
        if args.open:
            return False
        others = list(keywords.get("ratio_dict", ())) + list(keywords.get("head_pruning_ratio", ()))
        for name in others:
            value = args.get(name)
            if value is None or is_empty_container(value):
                continue
            number = literal(value)
            if number is None or (is_number(number) and number == 0):
                continue
            return False
        return True

    def _message(self, what: str, value: float, *, in_dict: bool) -> str:
        if value == 1:
            effect = "A ratio of 1 prunes nothing in torch-pruning 1.6.1, silently."
        elif value > 1:
            effect = "Above 1 it raises when the pruner steps (a percentage? write 0.5 for 50%)."
        elif in_dict:
            effect = "It prunes nothing; to keep a layer whole, put it in `ignored_layers`."
        else:
            effect = "It prunes nothing, silently."
        shown = int(value) if float(value).is_integer() else value
        return self.MESSAGE.format(what=what, value=shown, effect=effect)
