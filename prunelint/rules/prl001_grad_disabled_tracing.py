from __future__ import annotations

from typing import Iterable

from prunelint.analysis.builders import CallOutcome
from prunelint.analysis.facts import ModuleFacts
from prunelint.diagnostics import Diagnostic
from prunelint.rules.base import Invalid, ProjectRule
from prunelint.analysis.context import ProjectContext


class GradDisabledTracing(ProjectRule):
    """A pruner or dependency graph is built while autograd is disabled.

    Torch-Pruning finds coupled layers by tracing the forward pass through autograd
    (`DependencyGraph.build_dependency`, which every pruner's constructor runs). Under
    `torch.no_grad()`, `torch.inference_mode()`, `torch.set_grad_enabled(False)`, or a function
    decorated with one of them (YOLO's `@smart_inference_mode()` too), no autograd graph is
    recorded. Torch-Pruning 1.6 asserts on it, but under `python -O`, or with `enable_grad()`
    inside `inference_mode()`, the graph silently has one node and nothing is pruned.

    The rule follows torch's semantics: `enable_grad()` re-enables autograd but does not leave
    inference mode, `inference_mode(False)` does both, `set_grad_enabled(False)` as a statement
    holds until the end of its scope. Functions of the linted tree that build a pruner, directly
    or through other functions and modules, are flagged where they are called with autograd
    off; the message names where the construction happens. A function or lambda *defined* in a
    no_grad block is not run there, and names that only look like torch's are not torch's.

    Pruner classes are followed through values: an if/elif chain of partials, a loop over a
    literal list, a registry dict, `getattr(tp.pruner, name)`, and a class passed as an
    argument to a function that calls it. A name that may hold several values holds them all,
    and the message names the one that builds.

    Grad modes are also entered by a decorator applied by a call (`f = torch.no_grad()(f)`)
    and by `stack.enter_context(torch.no_grad())` (until the `with ExitStack()` block ends).
    Frameworks run some of your methods with autograd off: Lightning's evaluation and
    prediction hooks (`validation_step`, `on_validation_epoch_end`, ... of a LightningModule
    or a Callback) and the methods an ultralytics validator's `__call__` runs. They are listed
    in the data's `[framework_hooks]`, each checked in the framework's source, and
    `[tool.prunelint.framework-hooks.NAME]` adds your own.

    Fix: build the pruner or graph outside the block, or wrap the construction in
    `with torch.enable_grad():` (under inference mode, `with torch.inference_mode(False):`).
    Pruning itself (`pruner.step()`) may run under no_grad.

    Unsafe fix (`--fix --unsafe-fixes`): wrap the statement in `with torch.enable_grad():` (or
    `with torch.inference_mode(False):`), where the construction is a whole simple statement and
    `torch` is imported as `torch`. Unsafe because the block also re-enables autograd for
    everything else that statement runs, and a tensor created under `inference_mode(False)`
    cannot be mixed freely with inference tensors.
    """

    CODE = "PRL001"
    NAME = "grad-disabled-tracing"
    FIXABLE = True
    MESSAGE = (
        "{what} while autograd is disabled by {cause}. {detail}Torch-Pruning traces the model "
        "through autograd, so its dependency graph gets a single node and nothing is pruned "
        "(silently under `python -O`). {fix}"
    )

    VALID = [
        # Lightning's training hooks run with autograd on.
        """
import lightning.pytorch as pl
import torch_pruning as tp

class PruneEachEpoch(pl.Callback):
    def on_train_epoch_start(self, trainer, pl_module):
        tp.pruner.BasePruner(pl_module, pl_module.example_input_array, importance=imp).step()
""",
        # Pruning under no_grad is fine: only construction traces.
        """
import torch
import torch_pruning as tp

pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
with torch.no_grad():
    pruner.step()
""",
        """
import torch, torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp)
with torch.no_grad():
    pruner.step()
""",
        # The no_grad block closes before the pruner is built.
        """
import torch
import torch_pruning as tp
with torch.no_grad():
    model.eval()
pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
        # A commented-out no_grad, and the name in a string.
        """
import torch_pruning as tp
# with torch.no_grad():
pruner = tp.pruner.BasePruner(model, x, importance=imp)
print("with torch.no_grad(): tp.pruner.BasePruner(...)")
""",
        # `no_grad` that is not torch's.
        """
from contextlib import nullcontext as no_grad
import torch_pruning as tp
with no_grad():
    pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
        # An unrelated DependencyGraph.
        """
import torch
from mylib.graphs import DependencyGraph
with torch.no_grad():
    DependencyGraph().build_dependency(model, example_inputs=x)
""",
        # enable_grad inside no_grad re-enables autograd.
        """
import torch, torch_pruning as tp
with torch.no_grad():
    with torch.enable_grad():
        DG = tp.DependencyGraph().build_dependency(model, example_inputs=x)
""",
        # inference_mode(False) leaves inference mode.
        """
import torch, torch_pruning as tp
with torch.inference_mode():
    with torch.inference_mode(False):
        pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
        # A function defined (not run) inside a no_grad block.
        """
import torch, torch_pruning as tp
with torch.no_grad():
    def make(model, x):
        return tp.pruner.BasePruner(model, x, importance=imp)
pruner = make(model, x)
""",
        # A callee that re-enables autograd itself.
        """
import torch, torch_pruning as tp

@torch.enable_grad()
def make(model, x):
    return tp.pruner.BasePruner(model, x, importance=imp)

@torch.no_grad()
def main(model, x):
    pruner = make(model, x)
""",
        # set_grad_enabled(False) re-enabled before the pruner.
        """
import torch, torch_pruning as tp
torch.set_grad_enabled(False)
evaluate(model)
torch.set_grad_enabled(True)
pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
        # A runtime flag: unknown, never flagged.
        """
import torch, torch_pruning as tp
with torch.set_grad_enabled(training):
    pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
    ]

    INVALID = [
        # A Callback that prunes after validation: Lightning runs it under inference mode.
        Invalid("""
import lightning.pytorch as pl
import torch
import torch_pruning as tp

class PruneAfterValidation(pl.Callback):
    def on_validation_epoch_end(self, trainer, pl_module):
        pruner = tp.pruner.BasePruner(pl_module, pl_module.example_input_array, importance=imp)
        pruner.step()
""", line=8, fixed="""
import lightning.pytorch as pl
import torch
import torch_pruning as tp

class PruneAfterValidation(pl.Callback):
    def on_validation_epoch_end(self, trainer, pl_module):
        with torch.inference_mode(False):
            pruner = tp.pruner.BasePruner(pl_module, pl_module.example_input_array, importance=imp)
        pruner.step()
"""),
        Invalid("""
import torch
import torch_pruning as tp

with torch.no_grad():
    pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
    pruner.step()
""", line=6, fixed="""
import torch
import torch_pruning as tp

with torch.no_grad():
    with torch.enable_grad():
        pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
    pruner.step()
"""),
        Invalid(
            """
import torch
import torch_pruning as tp
with torch.no_grad():
    pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
            line=5,
            fixed="""
import torch
import torch_pruning as tp
with torch.no_grad():
    with torch.enable_grad():
        pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
        ),
        Invalid(
            """
from torch import no_grad as ng
from torch_pruning.pruner import BasePruner as MP
with ng():
    pruner = MP(model, x, importance=imp)
""",
            line=5,
        ),
        Invalid(
            """
import torch
import torch_pruning as tp
@torch.inference_mode()
def prune(model, x):
    DG = tp.DependencyGraph().build_dependency(model, example_inputs=x)
""",
            line=6,
            fixed="""
import torch
import torch_pruning as tp
@torch.inference_mode()
def prune(model, x):
    with torch.inference_mode(False):
        DG = tp.DependencyGraph().build_dependency(model, example_inputs=x)
""",
        ),
        Invalid(
            """
import torch
import torch_pruning as tp
with torch.inference_mode():
    with torch.enable_grad():
        # enable_grad() does not leave inference mode
        pruner = tp.pruner.GroupNormPruner(model, x, importance=imp)
""",
            line=7,
            fixed="""
import torch
import torch_pruning as tp
with torch.inference_mode():
    with torch.enable_grad():
        # enable_grad() does not leave inference mode
        with torch.inference_mode(False):
            pruner = tp.pruner.GroupNormPruner(model, x, importance=imp)
""",
        ),
        Invalid(
            """
import torch
import torch_pruning as tp
torch.set_grad_enabled(False)

def unrelated():
    pass

pruner = tp.pruner.BNScalePruner(model, x, importance=imp)
""",
            line=9,
            fixed="""
import torch
import torch_pruning as tp
torch.set_grad_enabled(False)

def unrelated():
    pass

with torch.enable_grad():
    pruner = tp.pruner.BNScalePruner(model, x, importance=imp)
""",
        ),
        Invalid(
            """
import functools, torch
import torch_pruning as tp
Pruner = functools.partial(tp.pruner.BasePruner, importance=imp)
with torch.no_grad():
    p = Pruner(model, x)
""",
            line=6,
            fixed="""
import functools, torch
import torch_pruning as tp
Pruner = functools.partial(tp.pruner.BasePruner, importance=imp)
with torch.no_grad():
    with torch.enable_grad():
        p = Pruner(model, x)
""",
        ),
        Invalid(
            """
import torch
import torch_pruning as tp

def build(model, x):
    return tp.pruner.BasePruner(model, x, importance=imp)

@torch.no_grad()
def main(model, x):
    pruner = build(model, x)
""",
            line=10,
            fixed="""
import torch
import torch_pruning as tp

def build(model, x):
    return tp.pruner.BasePruner(model, x, importance=imp)

@torch.no_grad()
def main(model, x):
    with torch.enable_grad():
        pruner = build(model, x)
""",
        ),
    ]

    def check(self, facts: ModuleFacts, project: ProjectContext, filename: str) -> Iterable[Diagnostic]:
        fixes = None
        reported: set[int] = set()
        for outcome in project.build_index.disabled_calls_in(facts.path):
            # A name that may hold several pruners is one call: its first value that builds one.
            if outcome.call.loc in reported:
                continue
            reported.add(outcome.call.loc)
            message = self._message(outcome, facts.path, project)
            if fixes is None:  # parsed again, only for a file with a finding
                from prunelint.fix.grad_wrap import WrapFixes

                file = project.reparsed(facts.path)
                fixes = WrapFixes(file.tree, file.text)
            fix = fixes.fix(outcome.call.loc, outcome.path.mode.in_inference)
            yield project.diagnostic(self, facts.path, outcome.call.loc, message, filename, fix)

    def _message(self, outcome: CallOutcome, here: str, project: ProjectContext) -> str:
        call, path = outcome.call, outcome.path
        cause = path.mode.cause
        where, note, form = "an enclosing grad mode", "", "block"
        if cause is not None and cause.loc is None:
            # A framework runs the code with autograd off: no line of it switched the mode.
            where, _, note = cause.text.partition(" (")
            note, form = f"{note[:-1]}. " if note else "", "framework"
        elif cause is not None:
            # "`@smart_inference_mode()` (YOLO's wrapper of ...)": the note goes to the details.
            text, note = cause.text, ""
            split = text.find("` (")
            if split >= 0 and text.endswith(")"):
                text, note = text[: split + 1], text[split + 3 : -1]
            where = f"{text} at {project.where(cause.path, cause.loc, here)}"
            if note:
                note = f"{text} is {note}. "
            form = "decorator" if text.startswith("`@") else "block" if text.startswith("`with ") else "statement"
        detail = note
        if call.value:
            detail += f"`{call.text}` may be `{call.value}`. "
        if path.construction is not None:
            text, origin, loc = path.construction
            construction = f"{text} at {project.where(origin, loc, here)}"
            chain = " → ".join(path.via[1:] + (construction,))
            what = f"`{call.text}(...)` builds a pruner or dependency graph"
            detail += f"It does so through {chain}. "
        elif call.method:
            what = f"`{call.text}(...)` traces the model"
        else:
            what = f"`{call.text}(...)` builds a pruner"
        outside = {
            "decorator": "outside the decorated function",
            "block": "outside the inference-mode block" if path.mode.in_inference else "outside the block",
            "statement": "before autograd is switched off (or switch it back on first)",
            "framework": "where the framework runs your code with autograd on (a training hook)",
        }[form]
        if path.mode.in_inference:
            fix = (
                f"Build it {outside}, or wrap it in "
                "`with torch.inference_mode(False):` (`enable_grad()` does not leave inference mode)."
            )
        else:
            fix = f"Build it {outside}, or wrap it in `with torch.enable_grad():`."
        return self.MESSAGE.format(what=what, cause=where, detail=detail, fix=fix)
