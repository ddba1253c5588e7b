from __future__ import annotations

import ast

from prunelint.model.flow import (
    CallEvent,
    PruneEvent,
    ScopeFlow,
    calls_in,
    prune_events,
    pruned_before,
)
from prunelint.model.names import dotted_name
from prunelint.rules.base import Invalid
from prunelint.rules.flow_rule import FlowRule


class PrunedStateDict(FlowRule):
    """A pruned model is saved as a plain `state_dict()`.

    A `state_dict()` holds tensors, not the architecture. After pruning, its shapes no longer
    match the model class, so `model.load_state_dict(torch.load(path))` on a freshly built model
    fails with size mismatches (#51, #436, #512).

    Reported at `torch.save(m.state_dict(), ...)` (also inside a dict or list) when `m` was
    surely pruned earlier in the same function or module body and not rebound since. Silent if
    the scope also records the structure: `tp.state_dict(...)`, `tp.save(...)` or
    `pruner.pruning_history()`. Soft pruning changes no shape: `step(interactive=True)` whose
    groups never get `.prune()` (Torch-Pruning's `examples/sparse_training` zeroes them instead)
    leaves a `state_dict()` that loads into the original model.

    Save the whole module (`torch.save(model, path)`, loaded with `weights_only=False`), use
    `tp.state_dict(model)`/`tp.load_state_dict(model, ...)`, or save
    `pruner.pruning_history()` and replay it with `pruner.load_pruning_history(...)` on a fresh
    model before loading the weights.
    """

    CODE = "PRL302"
    NAME = "pruned-state-dict"
    MESSAGE = (
        "`{model}` was pruned by `{how}()`, so its `state_dict()` no longer fits the original "
        "architecture. Loading it into the unpruned model fails (#51, #436, #512). Save `torch.save({model}, path)`, "
        "use `tp.state_dict({model})`, or also save `pruner.pruning_history()` to replay it."
    )
    # Words are or-ed across rules, so a common one ("parameters", "compile") would make every
    # training script of a tree without Torch-Pruning be parsed. The rule needs a pruner or a
    # DependencyGraph built in the same scope, which takes a Torch-Pruning import.
    PREFILTER_WORDS = ("torch_pruning",)

    VALID = [
        """
import torch
import torch_pruning as tp

pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
pruner.step()
torch.save(tp.state_dict(model), "pruned.pth")  # or torch.save(model, "pruned.pth")
""",
        """
import torch, torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp)
pruner.step()
torch.save(model, "pruned.pth")
""",
        # The history is saved too.
        """
import torch, torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp)
pruner.step()
torch.save({"state_dict": model.state_dict(), "history": pruner.pruning_history()}, "ckpt.pth")
""",
        # Saved before pruning.
        """
import torch, torch_pruning as tp
torch.save(model.state_dict(), "dense.pth")
pruner = tp.pruner.BasePruner(model, x, importance=imp)
pruner.step()
""",
        # Pruned only in a branch.
        """
import torch, torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp)
if args.prune:
    pruner.step()
torch.save(model.state_dict(), "model.pth")
""",
        # Soft pruning: the interactive step's groups are only inspected, never pruned.
        """
import torch, torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp)
for group in pruner.step(interactive=True):
    zero_out(group)
    # group.prune()
torch.save(model.state_dict(), "soft.pth")
""",
        # Another model's state_dict.
        """
import torch, torch_pruning as tp
pruner = tp.pruner.BasePruner(student, x, importance=imp)
pruner.step()
torch.save(teacher.state_dict(), "teacher.pth")
""",
    ]

    INVALID = [
        Invalid("""
import torch
import torch_pruning as tp

pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
pruner.step()
torch.save(model.state_dict(), "pruned.pth")
""", line=7),
        Invalid(
            """
import torch, torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp)
pruner.step()
torch.save(model.state_dict(), "pruned.pth")
""",
            line=5,
        ),
        Invalid(
            """
import torch
import torch_pruning as tp
def prune_and_save(model, x, path):
    pruner = tp.pruner.GroupNormPruner(model, x, importance=tp.importance.GroupMagnitudeImportance())
    for g in pruner.step(interactive=True):
        g.prune()
    finetune(model)
    torch.save({"epoch": 0, "model": model.state_dict()}, path)
""",
            line=9,
        ),
        # Groups collected first, then pruned.
        Invalid(
            """
import torch, torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp)
groups = list(pruner.step(interactive=True))
for g in groups:
    g.prune()
torch.save(model.state_dict(), "pruned.pth")
""",
            line=7,
        ),
    ]

    def check_scope(self, scope: ScopeFlow) -> None:
        prunes = prune_events(scope, self)
        if not prunes or self._records_structure(scope):
            return
        savers = self.api.table("saving").get("torch_save", ())
        for call in scope.calls:
            if self.qualified_name(call.node.func) in savers:
                self._check(scope, call, prunes)

    def _records_structure(self, scope: ScopeFlow) -> bool:
        table = self.api.table("saving")
        return any(
            self.qualified_name(c.node.func) in table.get("structure_savers", ())
            or c.method in table.get("structure_methods", ())
            for c in scope.calls
        )

    def _check(self, scope: ScopeFlow, save: CallEvent, prunes: list[PruneEvent]) -> None:
        saved = save.positional(0) or save.keyword("obj")
        if saved is None:
            return
        for inner in calls_in(saved):
            func = inner.func
            if not (type(func) is ast.Attribute and func.attr == "state_dict" and not inner.args and not inner.keywords):
                continue
            model = dotted_name(func.value)
            if model is None:
                continue
            prune = pruned_before(scope, prunes, model, save.index, save.chain)
            if prune is not None:
                self.report(save.node, self.MESSAGE.format(model=model, how=prune.call.func or "prune"))
                return
