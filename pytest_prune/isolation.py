"""Torch-Pruning's process-wide state, put back as it was after a check.

Torch-Pruning keeps one pruning-function object per layer type in `function.PrunerBox`; every
DependencyGraph shares them, and pruning sets `pruning_dim` on them (dependency.py). Left alone,
a check changes what `tp.prune_parameter_out_channels(...)` does later in the same process, so
a test's verdict could depend on the tests that ran before it.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Dict, Iterator, Tuple


def _registries() -> Tuple[Dict[Any, Any], ...]:
    from torch_pruning.pruner import function
    from torch_pruning.utils import op_counter

    return function.PrunerBox, op_counter.CUSTOM_MODULES_MAPPING


@contextmanager
def torch_pruning_state_kept() -> Iterator[None]:
    registries = _registries()
    entries = [dict(registry) for registry in registries]
    attributes = {id(obj): (obj, dict(vars(obj))) for obj in entries[0].values() if hasattr(obj, "__dict__")}
    try:
        yield
    finally:
        for registry, saved in zip(registries, entries):
            registry.clear()
            registry.update(saved)
        for obj, saved_vars in attributes.values():
            vars(obj).clear()
            vars(obj).update(saved_vars)
