from __future__ import annotations

import ast

from prunelint.model.arguments import arguments, is_empty_container, literal
from prunelint.model.lists import ListTracker
from prunelint.rules.base import Invalid
from prunelint.rules.node_rule import NodeRule


class NoIgnoredLayers(ListTracker, NodeRule):
    """A pruner is built with no `ignored_layers`, or an empty one.

    Without `ignored_layers` every layer may be pruned, the final classifier included: its
    outputs are the classes, so on torchvision's resnet18 `fc` goes from 1000 outputs to 500
    with `pruning_ratio=0.5`, and the model no longer predicts the classes it was trained for.
    Torch-Pruning's own examples list the classifier (`ignored_layers=[model.fc]`), and so do
    the detection and LLM recipes (the detection head, `lm_head`).

    Opt-in: a backbone without a head, or a model whose last layer the user means to prune, is
    fine without it. A list built by name in the same function counts as empty only while
    nothing is appended to it; `**kwargs` may carry it, so a call with one is not judged.
    """

    CODE = "PRL102"
    NAME = "no-ignored-layers"
    MESSAGE = (
        "`{cls}` is built {what}, so the output layer is pruned too. A classifier loses outputs, "
        "and with them classes the model was trained for (torchvision's resnet18 keeps 500 of "
        "its 1000 at `pruning_ratio=0.5`). List the output layer, e.g. `ignored_layers=[model.fc]`."
    )
    DEFAULT_ENABLED = False
    PREFILTER_WORDS = ("torch_pruning",)

    VALID = [
        """
import torch_pruning as tp

pruner = tp.pruner.BasePruner(
    model, example_inputs, importance=imp, pruning_ratio=0.5, ignored_layers=[model.fc]
)
""",
        """
import torch_pruning as tp
ignored_layers = []
for m in model.modules():
    if isinstance(m, torch.nn.Linear) and m.out_features == 1000:
        ignored_layers.append(m)
pruner = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers=ignored_layers)
""",
        # Passed through **kwargs, or a value from elsewhere: unknown.
        """
import torch_pruning as tp
p1 = tp.pruner.BasePruner(model, x, importance=imp, **pruner_kwargs)
p2 = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers=get_ignored(model))
""",
        # Not a Torch-Pruning pruner.
        """
from mylib import BasePruner
pruner = BasePruner(model, x, importance=imp)
""",
    ]
    INVALID = [
        Invalid("""
import torch_pruning as tp

pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp, pruning_ratio=0.5)
""", line=4),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers=[])
""",
            3,
        ),
        Invalid(
            """
import torch_pruning as tp
ignored_layers = []
pruner = tp.pruner.GroupNormPruner(model, x, imp, ignored_layers=ignored_layers)
""",
            4,
        ),
        Invalid(
            """
from torch_pruning import MetaPruner
pruner = MetaPruner(model, x, imp, ch_sparsity=0.5)
""",
            3,
        ),
    ]

    def visit_Call(self, node: ast.Call) -> None:
        self.track_call(node)

    def on_pruner_call(self, node: ast.Call, cls: str) -> None:
        name = self.api.table("pruner_keywords").get("ignored_layers", "ignored_layers")
        args = arguments(node, cls, self.api)
        value = args.get(name)
        if value is None:
            if args.absent(name):
                self.report(node, self.MESSAGE.format(cls=cls, what="without `ignored_layers`"))
            return
        if is_empty_container(value) or literal(value) is None:
            self.report(node, self.MESSAGE.format(cls=cls, what="with an empty `ignored_layers`"))
        elif type(value) is ast.Name and self.tracked(value.id) == []:
            self.report(node, self.MESSAGE.format(cls=cls, what=f"with `{value.id}` still empty"))
