from __future__ import annotations

import ast

from prunelint.model.flow import CallEvent, ScopeFlow, strip_same_object, value_at
from prunelint.model.names import dotted_name
from prunelint.rules.base import Invalid
from prunelint.rules.flow_rule import FlowRule


class WrappedModel(FlowRule):
    """The model given to a pruner is scripted, traced, compiled or wrapped for parallelism.

    Torch-Pruning traces an `nn.Module` of ordinary layers. A `torch.jit.trace`/`torch.jit.script`
    module hides them behind TorchScript: the pruner finds no dependency and removes 0 parameters,
    silently (an error). `torch.compile`, `DataParallel`, `DistributedDataParallel` and FSDP wrap
    the model: the graph is built on the wrapper and its replicas or compiled code keep the old
    shapes (a warning: prune the raw module, then wrap it again).

    Reported at the pruner's construction when its model argument is such a call, or a name
    whose value there surely comes from one (`.to(device)`/`.cuda()`/`.eval()` after it keep
    the wrapper). `model.module` or `model._orig_mod` (the raw module) is fine.
    """

    CODE = "PRL401"
    NAME = "wrapped-model"
    MESSAGE = "The pruner is given a wrapped model."
    # Words are or-ed across rules, so a common one ("parameters", "compile") would make every
    # training script of a tree without Torch-Pruning be parsed. The rule needs a pruner or a
    # DependencyGraph built in the same scope, which takes a Torch-Pruning import.
    PREFILTER_WORDS = ("torch_pruning",)

    SCRIPTED = (
        "error: the pruner is given `{model}`, a TorchScript module from `{how}()`. Torch-Pruning "
        "finds no layers to trace and removes 0 parameters, silently. Prune the `nn.Module` "
        "first, then script or trace the pruned model."
    )
    WRAPPED = (
        "warning: the pruner is given `{model}`, wrapped by `{how}()`. The dependency graph is "
        "built on the wrapper, whose compiled code or replicas keep the old shapes. Prune the raw "
        "module (`{model}.module` / the model before wrapping), then wrap it again."
    )

    VALID = [
        """
import torch
import torch_pruning as tp

pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
pruner.step()
model = torch.compile(model)
""",
        """
import torch, torch_pruning as tp
model = torch.nn.DataParallel(model)
pruner = tp.pruner.BasePruner(model.module, x, importance=imp)
""",
        # Wrapped only in a branch: unclear.
        """
import torch, torch_pruning as tp
if args.dp:
    model = torch.nn.DataParallel(model)
pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
        # Rebound to the raw module.
        """
import torch, torch_pruning as tp
model = torch.compile(model)
model = model._orig_mod
pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
        # A `compile` that is not torch's.
        """
import torch_pruning as tp
from mylib import compile
model = compile(model)
pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
    ]

    INVALID = [
        Invalid("""
import torch
import torch_pruning as tp

model = torch.compile(model)
pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
""", line=6),
        Invalid(
            """
import torch, torch_pruning as tp
model = torch.jit.trace(model, x)
pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
            line=4,
        ),
        Invalid(
            """
import torch_pruning as tp
from torch.nn.parallel import DistributedDataParallel as DDP
def main(model, x, rank):
    model = DDP(model.cuda(rank), device_ids=[rank]).cuda()
    pruner = tp.pruner.GroupNormPruner(
        model, x, importance=tp.importance.GroupMagnitudeImportance()
    )
""",
            line=6,
        ),
        Invalid(
            """
import torch, torch_pruning as tp
pruner = tp.pruner.BasePruner(torch.jit.script(net), x, importance=imp)
""",
            line=3,
        ),
    ]

    def check_scope(self, scope: ScopeFlow) -> None:
        for call in scope.calls:
            if self.pruner_class(call.node) is not None:
                self._check(scope, call)

    def _check(self, scope: ScopeFlow, call: CallEvent) -> None:
        table = self.api.table("model_wrappers")
        same = table.get("same_object_methods", ())
        expr = call.keyword("model") or call.positional(0)
        value, _ = value_at(scope, expr, call.index, call.chain)
        value = strip_same_object(value, same)
        if type(value) is not ast.Call:
            return
        how = self.qualified_name(value.func)
        if how is None:
            return
        model = dotted_name(expr) if expr is not None else None
        shown = model or "the model"
        if how in table.get("scripted", ()):
            self.report(call.node, self.SCRIPTED.format(model=shown, how=how))
        elif how in table.get("wrapped", ()):
            self.report(call.node, self.WRAPPED.format(model=shown, how=how))
