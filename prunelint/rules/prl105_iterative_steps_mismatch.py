from __future__ import annotations

import ast

from prunelint.model.flow import CallEvent, PrunerVar, ScopeFlow, common_prefix, int_literal, pruner_vars
from prunelint.rules.base import Invalid
from prunelint.rules.flow_rule import FlowRule


class IterativeStepsMismatch(FlowRule):
    """`iterative_steps=N` does not match how often `step()` is called.

    A pruner built with `iterative_steps=N` spreads `pruning_ratio` over N calls of `step()`: the
    k-th call prunes up to k/N of the target. Calling `step()` once, or in a `range(K)` loop
    with K < N, stops at K/N of the pruning the user asked for, silently; calls after the N-th
    only warn and prune nothing (#334, #206).

    The rule counts the `step()` calls of a pruner in the function (or module body) that builds
    it: a call outside any loop counts once, a call in `for _ in range(K)` loops counts K times
    for each. Only a literal N and literal loop bounds (or names bound once to a literal) are
    compared; a `while` loop, a loop over data, a `break`, a condition around the call, or a
    pruner handed to another function make the count unknown, and the rule stays silent.
    """

    CODE = "PRL105"
    NAME = "iterative-steps-mismatch"
    MESSAGE = (
        "The pruner is built with `iterative_steps={n}` but `step()` runs {k} time{s}. {effect} "
        "Call `step()` exactly {n} times, or set `iterative_steps={k}`."
    )
    PREFILTER_WORDS = ("iterative_steps",)

    VALID = [
        """
import torch_pruning as tp

pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp,
                              pruning_ratio=0.5, iterative_steps=5)
for i in range(5):
    pruner.step()
    finetune(model)
""",
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, iterative_steps=5)
for i in range(5):
    pruner.step()
""",
        # The count comes from a variable bound once.
        """
import torch_pruning as tp
steps = 4
pruner = tp.pruner.BasePruner(model, x, importance=imp, iterative_steps=steps)
for i in range(steps):
    for g in pruner.step(interactive=True):
        g.prune()
""",
        # A while loop: the count is unknown.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, iterative_steps=10)
while macs > target:
    pruner.step()
""",
        # A loop that may stop early.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, iterative_steps=10)
for i in range(3):
    pruner.step()
    if done(model):
        break
""",
        # Handed to a function that may step it.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, iterative_steps=5)
pruner.step()
progressive_pruning(pruner, model)
""",
        # A step under a condition.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, iterative_steps=2)
pruner.step()
if args.twice:
    pruner.step()
""",
        # iterative_steps not a literal.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, iterative_steps=args.steps)
pruner.step()
""",
        # Two calls for two steps.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, iterative_steps=2)
pruner.step()
finetune(model)
pruner.step()
""",
    ]

    INVALID = [
        Invalid("""
import torch_pruning as tp

pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp,
                              pruning_ratio=0.5, iterative_steps=5)
pruner.step()  # prunes 10% of the channels, not 50%
""", line=6),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, iterative_steps=5)
pruner.step()
""",
            line=4,
        ),
        Invalid(
            """
import torch_pruning as tp
def prune(model, x, imp):
    pruner = tp.pruner.GroupNormPruner(model, x, imp, iterative_steps=10, pruning_ratio=0.5)
    for i in range(5):
        for g in pruner.step(interactive=True):
            g.prune()
        finetune(model)
""",
            line=6,
        ),
        Invalid(
            """
from torch_pruning.pruner import MetaPruner
pruner = MetaPruner(model, x, importance=imp, iterative_steps=3)
for epoch in range(2):
    for it in range(3):
        pruner.step()
""",
            line=6,
        ),
    ]

    def check_scope(self, scope: ScopeFlow) -> None:
        for pruner in pruner_vars(scope, self):
            self._check(scope, pruner)

    def _check(self, scope: ScopeFlow, pruner: PrunerVar) -> None:
        n = _literal_count(scope, pruner.argument("iterative_steps"))
        if n is None:
            return
        steps = pruner.steps()
        if not steps or pruner.escapes() or scope.method_calls(pruner.name, "reset"):
            return
        if any(b.name.startswith(pruner.name + ".") for b in scope.bindings):
            return  # e.g. `pruner.current_step = 0`
        total = 0
        for step in steps:
            count = _times(scope, pruner, step)
            if count is None:
                return
            total += count
        if total == n:
            return
        if total < n:
            effect = f"Only {total}/{n} of the target pruning ratio is reached, silently."
        else:
            effect = f"The {total - n} call{'' if total - n == 1 else 's'} past step {n} prune nothing (Torch-Pruning only warns)."
        message = self.MESSAGE.format(n=n, k=total, s="" if total == 1 else "s", effect=effect)
        self.report(steps[0].node, message)


def _literal_count(scope: ScopeFlow, expr: ast.expr | None) -> int | None:
    if type(expr) is ast.Name:
        # One binding, even in a loop: a literal is the same value on every iteration.
        bindings = scope.bindings_of(expr.id)
        if len(bindings) != 1 or bindings[0].kind != "assign":
            return None
        expr = bindings[0].value
    return int_literal(expr)


def _times(scope: ScopeFlow, pruner: PrunerVar, step: CallEvent) -> int | None:
    """How many times the `step()` call runs per construction; None if the code does not say."""
    built = pruner.binding.chain
    shared = common_prefix(built, step.chain)
    if any(frame.kind not in ("with", "try") for frame in built[shared:]):
        return None
    count = 1
    for frame in step.chain[shared:]:
        if frame.kind in ("with", "try", "finally"):
            continue
        if frame.kind != "for":
            return None
        loop = frame.node
        assert type(loop) is ast.For or type(loop) is ast.AsyncFor
        k = _range_length(scope, loop.iter)
        if k is None or any(_exits_early(statement) for statement in loop.body):
            return None
        count *= k
    return count


def _range_length(scope: ScopeFlow, expr: ast.expr) -> int | None:
    if not (type(expr) is ast.Call and type(expr.func) is ast.Name and expr.func.id == "range"):
        return None
    # A keyword, `*args` or `**kwargs`: the bounds are unclear.
    if scope.bindings_of("range") or expr.keywords or any(type(a) is ast.Starred for a in expr.args):
        return None
    bounds = [_literal_count(scope, a) for a in expr.args]
    if any(b is None for b in bounds):
        return None
    if len(bounds) == 1:
        return max(bounds[0] or 0, 0)
    if len(bounds) == 2:
        return max((bounds[1] or 0) - (bounds[0] or 0), 0)
    return None


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)


def _exits_early(node: ast.AST, nested_loop: bool = False) -> bool:
    """A `break`/`continue` of this loop, or a `return`, in `node` (a statement of its body)."""
    kind = type(node)
    if kind in _SCOPES:
        return False
    if kind is ast.Return:
        return True
    if (kind is ast.Break or kind is ast.Continue) and not nested_loop:
        return True
    # Everything inside a nested loop (its `else:` too, as libcst's children were) belongs to it.
    nested = nested_loop or kind in _LOOPS
    return any(_exits_early(child, nested) for child in ast.iter_child_nodes(node))
