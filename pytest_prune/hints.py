"""Turn a failed stage into advice a user can act on."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Set

import torch.nn as nn

from .errors import Diagnosis

if TYPE_CHECKING:  # pragma: no cover
    from .check import _Context

_SHAPE_WORDS = ("shape", "size mismatch", "mat1 and mat2", "invalid for input of size", "expected input",
                "must match the size", "doesn't match", "sizes of tensors")


def hints_for(diag: Diagnosis, ctx: "_Context", passed_probes: Set[str]) -> List[str]:
    hints: List[str] = []
    error = diag.error.lower()
    shape_error = any(w in error for w in _SHAPE_WORDS)
    group = diag.group

    if diag.probe.startswith("random") and "importance" in passed_probes:
        hints.append("this depends on which channels are removed: the importance ranking happened to pass, "
                     f"the {diag.probe} selection did not, so other weights (after training) can break it too")
    grouped = _grouped_convs(ctx.ref, group)
    if grouped and (diag.stage.startswith("pruning a group") or diag.stage.startswith("coupled") or shape_error
                    or diag.stage == "declared sizes"):
        hints.append(f"Torch-Pruning 1.6 maps channels through torch.cat into grouped convolution "
                     f"{', '.join(grouped)} unevenly; keep the layers feeding the concat unpruned (ignored_layers)")
    for attr in _width_attributes(ctx.ref, group):
        hints.append(f"{attr} is a width stored in a plain attribute that pruning does not update: "
                     "derive it from the tensor in forward (x.shape[1]) or add the group root to ignored_layers")
    if shape_error and diag.stage in ("forward", "output shape", "backward"):
        hints.append("a size is hard-coded in forward (view/reshape with constants, or a stored width): use "
                     "x.flatten(1) / x.shape, or add the layer that produces it to ignored_layers")
    if ctx.graph.unwrapped and "unwrapped_parameters" not in ctx.pruner_kwargs:
        hints.append("parameters used directly in forward ("
                     + ", ".join(ctx.graph.unwrapped[:4])
                     + ") were pruned along their last non-singleton dim; pass unwrapped_parameters=[(param, dim)]"
                     " or ignore them")
    if diag.stage == "state-dict round trip" and "pickl" in error:
        if hasattr(ctx.ref, "_orig_mod") or isinstance(ctx.ref, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
            hints.append("the model is a torch.compile / DataParallel wrapper, whose attributes cannot be saved: "
                         "prune the raw module (model._orig_mod or model.module), then wrap it again")
        else:
            hints.append("tp.state_dict records every public attribute of every module; one of them cannot be "
                         "pickled (a lambda or a bound method): make it a method or a private attribute")
    has_mha = any(isinstance(m, nn.MultiheadAttention) for m in ctx.ref.modules())
    if (ctx.is_hf or has_mha) and "num_heads" not in ctx.pruner_kwargs and (
            shape_error or "head" in error or diag.stage == "declared sizes"):
        hints.append("attention heads must stay whole: pass num_heads={q_proj: heads, k_proj: kv_heads, "
                     "v_proj: kv_heads} and prune_num_heads=True, or ignore the attention projections")
    if group is not None:
        hints.append(f"to keep this group unpruned: ignored_layers=[model.{group.root}]")
    return hints


def _grouped_convs(model: nn.Module, group: Any) -> List[str]:
    names = {m.name for m in group.members} if group is not None else None
    found = []
    for name, m in model.named_modules():
        if isinstance(m, nn.modules.conv._ConvNd) and 1 < m.groups < m.in_channels:
            if names is None or name in names:
                found.append(name)
    return found


def _width_attributes(model: nn.Module, group: Any) -> List[str]:
    """Plain int attributes of user modules equal to a pruned layer's original width."""
    if group is None:
        return []
    widths = {m.before for m in group.members if m.before}
    found = []
    for name, module in model.named_modules():
        if type(module).__module__.startswith("torch."):
            continue
        for attr, value in vars(module).items():
            if attr.startswith("_") or isinstance(value, bool) or not isinstance(value, int):
                continue
            if value in widths:
                owner = f"{type(module).__name__}.{attr}" if not name else f"{name}.{attr}"
                found.append(f"{owner} = {value}")
    return found[:3]
