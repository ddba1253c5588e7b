from __future__ import annotations

import ast

from prunelint.model.flow import (
    Binding,
    PruneEvent,
    ScopeFlow,
    calls_in,
    is_optimizer_call,
    prune_events,
    rebound,
    surely_before,
)
from prunelint.model.names import dotted_name
from prunelint.rules.base import Invalid
from prunelint.rules.flow_rule import FlowRule

# The keywords that pass an optimizer its parameters (`model_or_params`: timm's factories).
PARAMS_KEYWORDS = ("params", "model_or_params")


class OptimizerBeforePruning(FlowRule):
    """An optimizer built before pruning is used after it.

    Pruning replaces a layer's weight with a new, smaller `nn.Parameter`. An optimizer built from
    `model.parameters()` before the step keeps references to the old tensors: after pruning it
    updates dead parameters (in our run only 1 of 62 was still shared), its momentum buffers
    have the old shapes, and the fine-tuning silently does not train the pruned model
    (#379, #140).

    Reported where the optimizer is built, when, in the same function (or module body), the same
    model is then pruned (`pruner.step()` on a pruner built on it, or `group.prune()` on a group
    of a `DependencyGraph` built on it) and the optimizer is used after that without being
    rebuilt. A model rebound in between, or pruning in a branch, makes the rule stay silent.
    """

    CODE = "PRL301"
    NAME = "optimizer-before-pruning"
    MESSAGE = (
        "`{opt}` is built from `{model}`'s parameters before `{how}()` prunes `{model}`, "
        "and used after it. Pruning replaces the parameters, so it optimises dead tensors and "
        "the pruned model is not trained. Build the optimizer after pruning."
    )
    # Words are or-ed across rules, so a common one ("parameters", "compile") would make every
    # training script of a tree without Torch-Pruning be parsed. The rule needs a pruner or a
    # DependencyGraph built in the same scope, which takes a Torch-Pruning import.
    PREFILTER_WORDS = ("torch_pruning",)

    VALID = [
        # Rebuilt after the step.
        """
import torch
import torch_pruning as tp

pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
pruner.step()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
finetune(model, optimizer)
""",
        """
import torch, torch_pruning as tp
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
pruner = tp.pruner.BasePruner(model, x, importance=imp)
train(model, optimizer)
pruner.step()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
train(model, optimizer)
""",
        # Not used after pruning.
        """
import torch, torch_pruning as tp
optimizer = torch.optim.Adam(model.parameters())
train(model, optimizer)
pruner = tp.pruner.BasePruner(model, x, importance=imp)
pruner.step()
""",
        # Pruning only in a branch.
        """
import torch, torch_pruning as tp
optimizer = torch.optim.Adam(model.parameters())
pruner = tp.pruner.BasePruner(model, x, importance=imp)
if args.prune:
    pruner.step()
train(model, optimizer)
""",
        # Another model is pruned.
        """
import torch, torch_pruning as tp
optimizer = torch.optim.Adam(teacher.parameters())
pruner = tp.pruner.BasePruner(student, x, importance=imp)
pruner.step()
train(teacher, optimizer)
""",
        # An `optim` that is not torch's.
        """
import torch_pruning as tp
from mylib import SGD
optimizer = SGD(model.parameters())
pruner = tp.pruner.BasePruner(model, x, importance=imp)
pruner.step()
optimizer.step()
""",
    ]

    INVALID = [
        Invalid("""
import torch
import torch_pruning as tp

optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
pruner.step()
finetune(model, optimizer)
""", line=5),
        Invalid(
            """
import torch, torch_pruning as tp
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
pruner = tp.pruner.BasePruner(model, x, importance=imp)
pruner.step()
for x, y in loader:
    optimizer.zero_grad()
    loss_fn(model(x), y).backward()
    optimizer.step()
""",
            line=3,
        ),
        Invalid(
            """
from torch.optim import AdamW
import torch_pruning as tp
def main(model, x):
    params = [p for p in model.parameters() if p.requires_grad]
    opt = AdamW(params=[{"params": model.parameters(), "lr": 1e-4}])
    DG = tp.DependencyGraph().build_dependency(model, example_inputs=x)
    group = DG.get_pruning_group(model.conv1, tp.prune_conv_out_channels, idxs=[0, 1])
    group.prune()
    finetune(model, opt)
""",
            line=6,
        ),
    ]

    def check_scope(self, scope: ScopeFlow) -> None:
        prunes = prune_events(scope, self)
        if not prunes:
            return
        for binding in scope.bindings:
            model = self._optimizer_model(binding)
            if model is not None:
                self._check(scope, binding, model, prunes)

    def _optimizer_model(self, binding: Binding) -> str | None:
        """The model whose `.parameters()` an `opt = Optimizer(...)` is built from."""
        call = binding.value
        if binding.kind != "assign" or "." in binding.name or type(call) is not ast.Call:
            return None
        if not is_optimizer_call(self, call):
            return None
        expr = _first_params(call)
        if expr is None:
            return None
        for inner in calls_in(expr):
            func = inner.func
            if type(func) is ast.Attribute and func.attr in ("parameters", "named_parameters"):
                return dotted_name(func.value)
        if type(expr) is ast.Name and self._factory(call):
            return expr.id
        return None

    def _factory(self, call: ast.Call) -> bool:
        """timm's `create_optimizer_v2(model, ...)` takes the model itself."""
        return self.qualified_name(call.func) in self.api.table("optimizers").get("factories", ())

    def _check(self, scope: ScopeFlow, built: Binding, model: str, prunes: list[PruneEvent]) -> None:
        for prune in prunes:
            if prune.model != model or prune.call.index < built.index:
                continue
            if not surely_before(built.index, built.chain, prune.call.index, prune.call.chain):
                continue
            if rebound(scope, model, built.index, prune.call.index):
                continue
            for use in scope.uses_of(built.name):
                if use.index <= prune.call.index or use.role not in ("receiver", "arg", "attr", "other", "nested"):
                    continue
                if not surely_before(prune.call.index, prune.call.chain, use.index, use.chain):
                    continue
                if scope.reaching(built.name, use.index, use.chain) is not built:
                    continue
                how = prune.call.func or "prune"
                assert built.value is not None
                self.report(built.value, self.MESSAGE.format(opt=built.name, model=model, how=how))
                return


def _first_params(call: ast.Call) -> ast.expr | None:
    """The first argument, as written, that may hold the parameters: a positional one, a
    `*args` or `**kwargs` (their value), or `params=`/`model_or_params=`."""
    candidates: list[ast.expr | ast.keyword] = [*call.args]
    candidates.extend(k for k in call.keywords if k.arg is None or k.arg in PARAMS_KEYWORDS)
    if not candidates:
        return None
    if call.args and call.keywords:
        # `f(lr=0.1, *params)`: a `*args` may follow keywords.
        candidates.sort(key=lambda a: (a.lineno, a.col_offset))
    first = candidates[0]
    return first.value if type(first) is ast.Starred or type(first) is ast.keyword else first  # type: ignore[return-value]
