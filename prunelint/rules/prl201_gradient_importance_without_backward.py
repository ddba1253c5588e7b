from __future__ import annotations

import ast

from prunelint.model.flow import (
    CallEvent,
    PrunerVar,
    ScopeFlow,
    escapes,
    is_backward,
    is_optimizer_call,
    pruner_vars,
    surely_before,
    value_at,
)
from prunelint.rules.base import Invalid
from prunelint.rules.flow_rule import FlowRule


class GradientImportanceWithoutBackward(FlowRule):
    """A gradient-based importance prunes without fresh gradients.

    `TaylorImportance`, `HessianImportance` and `OBDCImportance` (and their `Group*` forms)
    score channels from the model's `.grad`. If no `loss.backward()` ran before
    `pruner.step()`, Taylor raises `AttributeError: 'NoneType' object has no attribute 'data'`;
    if a `zero_grad()` ran after the last backward, the gradients are gone (torch 2 sets them
    to None) and the step raises or skips layers; a backward before an earlier step leaves
    stale gradients of the unpruned model (#217).

    The rule looks at the function (or module body) that builds the pruner: a `.backward()`
    (on any loss, `scaler.scale(loss)` too), `torch.autograd.backward`/`grad`, or
    `HessianImportance.accumulate_grad(model)` counts as computing gradients. It reports a step
    with none of them before it only when the model is built in that scope and never handed to
    another function (which could compute the gradients); and a step after a `model.zero_grad()`
    or `optimizer.zero_grad()` that surely runs after the last backward.
    """

    CODE = "PRL201"
    NAME = "gradient-importance-without-backward"
    MESSAGE = (
        "`{imp}` scores channels from `.grad`, but {why}. `step()` raises or prunes with "
        "missing gradients. Run `loss.backward()` on a batch right before `pruner.step()`."
    )
    PREFILTER_WORDS = ("TaylorImportance", "GroupTaylorImportance", "HessianImportance", "GroupHessianImportance", "OBDCImportance")

    VALID = [
        """
import torch_pruning as tp

model = resnet18(pretrained=True)
imp = tp.importance.TaylorImportance()
pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp, pruning_ratio=0.5)
loss = model(example_inputs).sum()
loss.backward()
pruner.step()
""",
        """
import torch_pruning as tp
model = build()
imp = tp.importance.TaylorImportance()
pruner = tp.pruner.BasePruner(model, x, importance=imp)
model(x).sum().backward()
pruner.step()
""",
        # A magnitude importance needs no gradients.
        """
import torch_pruning as tp
model = build()
pruner = tp.pruner.BasePruner(model, x, importance=tp.importance.MagnitudeImportance(p=2))
pruner.step()
""",
        # The model comes from the caller, who may have run backward.
        """
import torch_pruning as tp
def prune(model, x):
    pruner = tp.pruner.BasePruner(model, x, importance=tp.importance.TaylorImportance())
    pruner.step()
""",
        # Gradients computed by another function.
        """
import torch_pruning as tp
model = build()
imp = tp.importance.GroupTaylorImportance()
pruner = tp.pruner.BasePruner(model, x, importance=imp)
compute_gradients(model, loader)
pruner.step()
""",
        # Hessian: zero_grad per sample, gradients kept by accumulate_grad.
        """
import torch_pruning as tp
model = build()
imp = tp.importance.HessianImportance()
pruner = tp.pruner.BasePruner(model, x, importance=imp)
imp.zero_grad()
for l in losses:
    model.zero_grad()
    l.backward(retain_graph=True)
    imp.accumulate_grad(model)
model.zero_grad()
pruner.step()
""",
        # zero_grad before the backward.
        """
import torch_pruning as tp
model = build()
imp = tp.importance.TaylorImportance()
pruner = tp.pruner.BasePruner(model, x, importance=imp)
for i in range(5):
    model.zero_grad()
    loss = model(x).sum()
    loss.backward()
    pruner.step()
""",
        # zero_grad only in a branch.
        """
import torch_pruning as tp
model = build()
imp = tp.importance.TaylorImportance()
pruner = tp.pruner.BasePruner(model, x, importance=imp)
model(x).sum().backward()
if args.reset:
    model.zero_grad()
pruner.step()
""",
    ]

    INVALID = [
        Invalid("""
import torch_pruning as tp

model = resnet18(pretrained=True)
imp = tp.importance.TaylorImportance()
pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp, pruning_ratio=0.5)
pruner.step()
""", line=7),
        Invalid(
            """
import torch_pruning as tp
model = build()
imp = tp.importance.TaylorImportance()
pruner = tp.pruner.BasePruner(model, x, importance=imp)
pruner.step()
""",
            line=6,
        ),
        Invalid(
            """
import torch
import torch_pruning as tp
model = build()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
pruner = tp.pruner.MetaPruner(model, x, tp.importance.GroupTaylorImportance())
loss = model(x).sum()
loss.backward()
optimizer.step()
optimizer.zero_grad()
pruner.step()
""",
            line=11,
        ),
        Invalid(
            """
from torch_pruning import importance as imps
import torch_pruning as tp
def main():
    model = build()
    imp = imps.HessianImportance()
    pruner = tp.pruner.BasePruner(model, x, importance=imp, iterative_steps=3)
    for i in range(3):
        with torch.no_grad():
            pruner.step()
        model(x).sum().backward()
""",
            line=10,
        ),
    ]

    def check_scope(self, scope: ScopeFlow) -> None:
        for pruner in pruner_vars(scope, self):
            imp = self._importance(scope, pruner)
            if imp is not None:
                for step in pruner.steps():
                    why = self._problem(scope, pruner, imp, step)
                    if why is not None:
                        self.report(step.node, self.MESSAGE.format(imp=imp[0], why=why))
                        break

    def _importance(self, scope: ScopeFlow, pruner: PrunerVar) -> tuple[str, str | None] | None:
        """(class name, the variable holding it or None) for a gradient importance."""
        expr = pruner.argument("importance", 2)
        var = expr.id if type(expr) is ast.Name else None
        value, _ = value_at(scope, expr, pruner.binding.index, pruner.binding.chain)
        if type(value) is not ast.Call:
            return None
        name = self.qualified_name(value.func)
        if name is None:
            return None
        table = self.api.table("gradient_importances")
        module, _, cls = name.rpartition(".")
        if cls in table.get("classes", ()) and module in table.get("modules", ()):
            return cls, var
        return None

    def _problem(self, scope: ScopeFlow, pruner: PrunerVar, imp: tuple[str, str | None], step: CallEvent) -> str | None:
        model = pruner.model
        if model is None or "." in model:
            return None
        sources = self.api.table("gradient_importances").get("gradient_sources", ())
        filled = [
            c for c in scope.calls
            if c.index < step.index
            and (is_backward(c, self) or (imp[1] is not None and c.receiver == imp[1] and c.method in sources))
        ]
        if filled and filled[-1].method in sources and filled[-1].receiver == imp[1]:
            return None  # the importance keeps the gradients it accumulated
        last = filled[-1].index if filled else 0
        watched = [model, pruner.name] + ([imp[1]] if imp[1] else [])
        optimizers = self._optimizer_names(scope)
        for call in reversed(scope.calls):
            if not (last < call.index < step.index) or call.method != "zero_grad":
                continue
            receiver = call.receiver or ""
            if receiver == imp[1]:
                continue
            if receiver == model or receiver.startswith(model + ".") or receiver in optimizers:
                if surely_before(call.index, call.chain, step.index, step.chain) and not any(
                    escapes(scope, name, call.index, None, before=step.index, harmless=self._harmless)
                    for name in watched
                ):
                    return f"`{call.func}()` clears the gradients after the last backward"
                return None
        if filled:
            return None
        # No backward at all: only where the model's whole story is in this scope.
        binding = scope.reaching(model, pruner.binding.index, pruner.binding.chain)
        if binding is None or binding.kind != "assign" or scope.only_binding(model) is None:
            return None
        for name in watched:
            after = binding.index if name == model else pruner.binding.index
            if escapes(scope, name, after, None, before=step.index, ignore=pruner.call, harmless=self._harmless):
                return None
        return "no `.backward()` runs before this step"

    def _harmless(self, call: ast.Call) -> bool:
        """Torch-Pruning's own utilities (`tp.utils.count_ops_and_params(model, x)`) and
        constructors of the things that pruning uses leave `.grad` alone."""
        name = self.qualified_name(call.func) or ""
        return name.startswith("torch_pruning.") and "train" not in name

    def _optimizer_names(self, scope: ScopeFlow) -> set[str]:
        return {
            b.name for b in scope.bindings
            if b.kind == "assign" and type(b.value) is ast.Call and is_optimizer_call(self, b.value)
        }
