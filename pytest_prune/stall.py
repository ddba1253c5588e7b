"""Notice when Torch-Pruning's grouping makes no progress, instead of waiting for a time limit.

`DependencyGraph.get_pruning_group` expands a group with a stack: a dependency is pushed again
whenever `Group.has_pruning_op` finds no entry with the same indices. With grouped-query
attention (Torch-Pruning issue #527) the index mappings around repeat_kv keep producing new
index lists, so the same (layer, pruning function) pairs come back for ever, with indices far
beyond the layer's width. Measured on a 1-layer LLaMA (4 heads, 2 kv heads): o_proj is added
about 100 times per 3,000 additions, 0.8 s in. A legitimate group adds a dependency once per
distinct index list that reaches it (a few, through concat/split), so a dependency added
`LIMIT` times to one group means the expansion is going round in circles.
"""
from __future__ import annotations

import contextlib
from collections import Counter
from typing import Any, Iterator

from .errors import GroupingStalled

LIMIT = 200


@contextlib.contextmanager
def stalled_grouping_detected(limit: int = LIMIT) -> Iterator[None]:
    from torch_pruning.dependency.group import Group

    original = Group.add_dep

    def add_dep(self: Any, dep: Any, idxs: Any) -> Any:
        counts = self.__dict__.get("_prune_check_adds")
        if counts is None:
            counts = self.__dict__["_prune_check_adds"] = Counter()
        key = (id(dep.target), getattr(dep.handler, "__name__", id(dep.handler)))
        counts[key] += 1
        if counts[key] > limit:
            raise GroupingStalled(str(getattr(dep.target, "name", dep.target)).split(" (")[0], counts[key])
        return original(self, dep, idxs)

    Group.add_dep = add_dep
    try:
        yield
    finally:
        Group.add_dep = original
