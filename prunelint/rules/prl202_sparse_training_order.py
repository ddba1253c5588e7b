from __future__ import annotations

from prunelint.model.flow import (
    LOOPS,
    CallEvent,
    PrunerVar,
    ScopeFlow,
    bool_literal,
    common_prefix,
    frames_between,
    is_backward,
    pruner_vars,
)
from prunelint.rules.base import Invalid
from prunelint.rules.flow_rule import FlowRule


class SparseTrainingOrder(FlowRule):
    """Sparse training calls the pruner's regularizer in the wrong order.

    `pruner.regularize(model)` adds the sparsity penalty to the gradients that are already in
    `.grad`, so it belongs between `loss.backward()` and `optimizer.step()`. Called before the
    backward, it finds no gradients (torch 2's `zero_grad()` leaves `None`) and does nothing,
    silently, or its penalty is overwritten.

    `GroupNormPruner`, `GrowingRegPruner` and `BNScalePruner(group_lasso=True)` cache the groups
    they regularise when they are built. After `pruner.step()` has pruned the model, those groups
    hold stale channel indices and the next `regularize()` raises `IndexError` until
    `pruner.update_regularizer()` rebuilds them (#252).

    The first case is reported at the `regularize()` call when a backward follows it in the
    same block (or the block around it) and none precedes it there. The second is reported at
    the `step()` of such a pruner built in the same scope when `regularize()` can run after it
    (later in the code, or in the same loop) and the scope never calls `update_regularizer()`;
    a pruner handed to another function is not followed.
    """

    CODE = "PRL202"
    NAME = "sparse-training-order"
    MESSAGE = "Sparse training out of order."
    # `regularize` alone is in torch's own docstrings; the receiver must be a pruner, either
    # built here (the shared words) or named like one, which the rule checks the same way.
    PREFILTER_WORDS = ("regularize&pruner",)

    BEFORE_BACKWARD = (
        "`{call}()` runs before `backward()`, so the sparsity penalty is silently lost. It adds the "
        "penalty to `.grad`, which the backward has not filled yet. Call it after "
        "`loss.backward()` and before `optimizer.step()`."
    )
    NO_UPDATE = (
        "`{pruner}` ({cls}) is stepped and then regularised again without "
        "`{pruner}.update_regularizer()`. Its cached groups still hold the channel indices of "
        "the unpruned model, and `regularize()` raises IndexError (#252). Call "
        "`{pruner}.update_regularizer()` after each `step()`."
    )

    VALID = [
        """
for x, y in loader:
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    pruner.regularize(model)
    optimizer.step()
""",
        """
import torch_pruning as tp
def train(model, loader, optimizer, pruner=None):
    for x, y in loader:
        optimizer.zero_grad()
        loss = model(x).sum()
        loss.backward()
        if pruner is not None:
            pruner.regularize(model)
        optimizer.step()
""",
        # update_regularizer after each step.
        """
import torch_pruning as tp
pruner = tp.pruner.GroupNormPruner(model, x, importance=imp, iterative_steps=5)
for i in range(5):
    pruner.step()
    pruner.update_regularizer()
    for x, y in loader:
        model(x).sum().backward()
        pruner.regularize(model)
""",
        # BNScalePruner without group_lasso walks model.modules() afresh.
        """
import torch_pruning as tp
pruner = tp.pruner.BNScalePruner(model, x, importance=imp, iterative_steps=5)
for i in range(5):
    pruner.step()
    for x, y in loader:
        model(x).sum().backward()
        pruner.regularize(model)
""",
        # Regularised only before the single step.
        """
import torch_pruning as tp
pruner = tp.pruner.GrowingRegPruner(model, x, importance=imp)
for x, y in loader:
    model(x).sum().backward()
    pruner.regularize(model)
pruner.step()
""",
        # `regularize` of something that is not a pruner.
        """
import torch_pruning as tp
for x, y in loader:
    loss = model(x).sum()
    reg.regularize(model)
    loss.backward()
""",
    ]

    INVALID = [
        Invalid("""
for x, y in loader:
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    pruner.regularize(model)
    loss.backward()
    optimizer.step()
""", line=5),
        Invalid(
            """
import torch_pruning as tp
def train(model, loader, optimizer, pruner):
    for x, y in loader:
        optimizer.zero_grad()
        loss = model(x).sum()
        pruner.regularize(model)
        loss.backward()
        optimizer.step()
""",
            line=7,
        ),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.GroupNormPruner(model, x, importance=imp, iterative_steps=5)
for i in range(5):
    pruner.step()
    for x, y in loader:
        model(x).sum().backward()
        pruner.regularize(model)
""",
            line=5,
        ),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BNScalePruner(model, x, imp, group_lasso=True)
model(x).sum().backward()
pruner.regularize(model)
pruner.step()
model(x).sum().backward()
pruner.regularize(model)
""",
            line=6,
        ),
    ]

    def check_scope(self, scope: ScopeFlow) -> None:
        pruners = {p.name: p for p in pruner_vars(scope, self)}
        for call in scope.calls:
            if call.method == "regularize" and self._is_pruner(call.receiver, pruners):
                self._check_before_backward(scope, call)
        for pruner in pruners.values():
            self._check_update(scope, pruner)

    @staticmethod
    def _is_pruner(receiver: str | None, pruners: dict[str, PrunerVar]) -> bool:
        """A pruner built here, or a name that says it is one (`pruner`, `self.pruner`): training
        functions take the pruner as a parameter."""
        if receiver is None:
            return False
        return receiver in pruners or "pruner" in receiver.rsplit(".", 1)[-1].lower()

    def _check_before_backward(self, scope: ScopeFlow, call: CallEvent) -> None:
        for later in scope.calls:
            if later.index <= call.index or not is_backward(later, self):
                continue
            between = frames_between(later.chain, call.chain)
            if between is None or any(f.kind in LOOPS for f in between):
                continue
            block = later.chain
            earlier = [
                c for c in scope.calls
                if c.index < call.index and is_backward(c, self) and frames_between(block, c.chain) is not None
            ]
            if not earlier:
                self.report(call.node, self.BEFORE_BACKWARD.format(call=call.func))
            return

    def _check_update(self, scope: ScopeFlow, pruner: PrunerVar) -> None:
        table = self.api.table("regularizing_pruners")
        if pruner.cls not in table.get("always", ()):
            if pruner.cls not in table.get("with_group_lasso", ()):
                return
            if bool_literal(pruner.argument("group_lasso")) is not True:
                return
        if scope.method_calls(pruner.name, "update_regularizer") or pruner.escapes():
            return
        regularizes = [c for c in scope.method_calls(pruner.name, "regularize") if c.index > pruner.binding.index]
        for step in pruner.steps():
            for reg in regularizes:
                shared = step.chain[: common_prefix(step.chain, reg.chain)]
                if reg.index > step.index or any(f.kind in LOOPS for f in shared[len(pruner.binding.chain):]):
                    self.report(step.node, self.NO_UPDATE.format(pruner=pruner.name, cls=pruner.cls))
                    return
