"""MACs as Torch-Pruning's counter counts them, during a forward the check runs anyway.

`tp.utils.count_ops_and_params` deep-copies the model, runs a forward of its own with a hook
per layer (its `MODULES_MAPPING`, plus `CUSTOM_MODULES_MAPPING`), sums the counts as its
`accumulate_flops` does (a counted layer's own count, else the sum over its children), divides
by the batch size its root hook saw, and then counts the parameters of every submodule for a
layer-wise table that the check never reads. On the zoo's ResNet that was 3 ms a count, against
0.6 ms for a forward, twice per check. `counting_macs` puts the same hook functions on the
model for the length of a forward the check runs anyway (the tracing forward of the
reference, the verifying forward of each probe) and takes them off after.

tests/plugin/test_macs.py compares the totals with `count_ops_and_params` on the zoo.
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Dict, Iterator, List, Optional

import torch.nn as nn

_FLOPS = "__flops__"  # the attribute Torch-Pruning's hook functions add to


class MacCount:
    """`total` is set when the block ends: the MACs of one forward, or None when a hook could
    not count a layer or no forward reached the model."""

    def __init__(self) -> None:
        self.total: Optional[float] = None
        self.batch = 0
        self.failed = False


def _accumulate(module: nn.Module, hooks: Dict[type, Any]) -> int:
    # Iterative where Torch-Pruning recurses: deep models stay within the stack.
    total = 0
    stack = [module]
    while stack:
        m = stack.pop()
        if type(m) in hooks:
            total += vars(m).get(_FLOPS, 0)
        else:
            stack.extend(m.children())
    return total


def _layer_hooks() -> Dict[type, Callable[..., Any]]:
    from torch_pruning.utils import op_counter

    return {**op_counter.MODULES_MAPPING, **op_counter.CUSTOM_MODULES_MAPPING}


@contextlib.contextmanager
def counting_macs(model: nn.Module) -> Iterator[MacCount]:
    """Count the MACs of the forward of `model` inside the block. Every attribute and hook it
    adds is gone when the block ends, whatever happened in it."""
    count = MacCount()
    hooks = _layer_hooks()
    handles: List[Any] = []
    saved: Dict[nn.Module, Any] = {}

    def guarded(hook: Callable[..., Any]) -> Callable[..., None]:
        def run(module: nn.Module, inputs: Any, output: Any) -> None:
            try:
                hook(module, inputs, output)
            except Exception:  # noqa: BLE001 - MACs are informative: the forward must go on
                count.failed = True
        return run

    def batch(module: nn.Module, inputs: Any, output: Any) -> None:
        # As Torch-Pruning's batch_counter_hook: the first positional input's length, else 1.
        try:
            count.batch += len(inputs[0]) if len(inputs) > 0 else 1
        except TypeError:
            count.failed = True

    try:
        for m in model.modules():
            hook = hooks.get(type(m))
            if hook is not None and m not in saved:
                saved[m] = vars(m).get(_FLOPS, _FLOPS)  # _FLOPS itself: there was none
                vars(m)[_FLOPS] = 0
                handles.append(m.register_forward_hook(guarded(hook)))
        handles.append(model.register_forward_hook(batch))
        yield count
        if not count.failed and count.batch:
            count.total = float(_accumulate(model, hooks)) / count.batch
    finally:
        for handle in handles:
            handle.remove()
        for m, before in saved.items():
            if before is _FLOPS:
                vars(m).pop(_FLOPS, None)
            else:
                vars(m)[_FLOPS] = before
