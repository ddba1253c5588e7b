"""Turn a failed stage into advice a user can act on, and the settings that advice proposes."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Set, Tuple

import torch.nn as nn

from .errors import Diagnosis

if TYPE_CHECKING:  # pragma: no cover
    from .context import Context

_SHAPE_WORDS = ("shape", "size mismatch", "mat1 and mat2", "invalid for input of size", "expected input",
                "must match the size", "doesn't match", "sizes of tensors")


def _conv1d_layers(model: nn.Module) -> List[str]:
    """transformers' Conv1D (GPT-2's c_attn, c_proj, c_fc): a Linear with a transposed weight,
    not an nn.Linear subclass, and Torch-Pruning 1.6 registers no pruner for it."""
    return [n for n, m in model.named_modules() if type(m).__name__ == "Conv1D" and hasattr(m, "nf")]


def hints_for(diag: Diagnosis, ctx: "Context", passed_probes: Set[str]) -> Tuple[List[str], List[Dict[str, Any]]]:
    hints: List[str] = []
    proposals: List[Dict[str, Any]] = []
    error = diag.error.lower()
    shape_error = any(w in error for w in _SHAPE_WORDS)
    group = diag.group
    nothing_pruned = diag.stage == "parameter count"

    if diag.probe.startswith("random") and "importance" in passed_probes:
        hints.append("this depends on which channels are removed: the importance ranking happened to pass, "
                     f"the {diag.probe} selection did not, so other weights (after training) can break it too")
    conv1d = _conv1d_layers(ctx.ref)
    if conv1d and nothing_pruned:
        hints.append(f"Torch-Pruning has no pruner for transformers' Conv1D ({len(conv1d)} layers: "
                     f"{', '.join(conv1d[:3])}{' ...' if len(conv1d) > 3 else ''}), so their groups are never "
                     "built: register one with customized_pruners={Conv1D: <a tp.pruner.BasePruningFunc>} or "
                     "convert them to nn.Linear (weight transposed) before pruning")
    grouped = _grouped_convs(ctx.ref, group)
    if grouped and (diag.stage.startswith("pruning a group") or diag.stage.startswith("coupled") or shape_error
                    or diag.stage == "declared sizes"):
        hints.append(f"Torch-Pruning 1.6 maps channels through torch.cat into grouped convolution "
                     f"{', '.join(grouped)} unevenly; keep the layers feeding the concat unpruned (ignored_layers)")
    uneven = _uneven_copies(group)
    hints.extend(uneven)
    widths = _width_attributes(ctx.ref, group)
    for attr in widths:
        hints.append(f"{attr} is a width stored in a plain attribute that pruning does not update: "
                     "derive it from the tensor in forward (x.shape[1]) or add the group root to ignored_layers")
    if shape_error and diag.stage in ("forward", "output shape", "backward") and not widths and not uneven:
        hints.append("a size is hard-coded in forward (view/reshape with constants, or a stored width): use "
                     "x.flatten(1) / x.shape, or add the layer that produces it to ignored_layers")
    unwrapped = [n for n in ctx.graph.unwrapped if group is not None and any(m.name == n for m in group.members)]
    if unwrapped and not nothing_pruned and "unwrapped_parameters" not in ctx.pruner_kwargs:
        hints.append("parameters used directly in forward ("
                     + ", ".join(unwrapped[:4])
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
    if (shape_error or "head" in error or diag.stage == "declared sizes") and "num_heads" not in ctx.pruner_kwargs:
        if has_mha and not ctx.is_hf:
            hints.append("attention heads must stay whole: pass num_heads={attn: heads} and prune_num_heads=True, "
                         "or ignore the attention module")
        elif ctx.is_hf and not _head_attention_found(ctx):
            hints.append("no q/k/v projections of a known attention family were found, so no num_heads were "
                         "passed: pass num_heads={q: heads, k: kv_heads, v: kv_heads} and an after_prune hook "
                         "that rewrites the module's head attributes, or ignore the attention projections")
    if diag.layer and not group:
        hints.append(f"Torch-Pruning itself raised on {diag.layer}: to leave that layer alone, "
                     "put it in ignored_layers")
    if group is not None and not nothing_pruned:
        hints.append(f"to keep this group unpruned: ignored_layers=[model.{group.root}]")
        proposals.append({"ignored_layers": [group.root]})
    return hints, proposals


def _uneven_copies(group: Any) -> List[str]:
    """A member k times as wide as the root (a torch.cat of k slices or copies, Swin's patch
    merging) must lose k times the root's channels; Torch-Pruning's index mapping sometimes
    removes fewer, and the layer after the concat then sees the wrong width."""
    if group is None:
        return []
    root = next((m for m in group.members if m.name == group.root and m.dim == "out"), None)
    if root is None or not root.before or root.after is None or root.after == root.before:
        return []
    lost = root.before - root.after
    found = []
    for m in group.members:
        if m is root or not m.before or m.after is None or m.before % root.before:
            continue
        k = m.before // root.before
        if k > 1 and m.before - m.after != k * lost:
            found.append(f"{m.name} is {k}x as wide as {group.root} ({m.before} vs {root.before}, a concat of {k} "
                         f"slices or copies) but lost {m.before - m.after} channels, not {k} x {lost}: Torch-Pruning "
                         f"1.6 maps the indices through that concat unevenly; keep {group.root}'s group unpruned "
                         "or the concat's producers in ignored_layers")
    return found[:1]


def _head_attention_found(ctx: "Context") -> bool:
    from . import hf

    return bool(hf.find_attention(ctx.ref))


def _grouped_convs(model: nn.Module, group: Any) -> List[str]:
    names = {m.name for m in group.members} if group is not None else None
    found = []
    for name, m in model.named_modules():
        if isinstance(m, nn.modules.conv._ConvNd) and 1 < m.groups < m.in_channels:
            if names is None or name in names:
                found.append(name)
    return found


def _width_attributes(model: nn.Module, group: Any) -> List[str]:
    """Plain int attributes equal to a width the broken group changed, on a module that directly
    holds one of the group's layers (a coincidence elsewhere in the model is not named)."""
    if group is None:
        return []
    # Widths the group changed, per module that directly holds the changed layer.
    widths: Dict[str, Set[int]] = {}
    for m in group.members:
        if m.before and m.after != m.before:
            parent = m.name.rsplit(".", 1)[0] if "." in m.name else ""
            widths.setdefault(parent, set()).add(m.before)
    found = []
    for name, module in model.named_modules():
        if type(module).__module__.startswith("torch.") or name not in widths:
            continue
        for attr, value in vars(module).items():
            if attr.startswith("_") or isinstance(value, bool) or not isinstance(value, int):
                continue
            if value in widths[name]:
                owner = f"{type(module).__name__}.{attr}" if not name else f"{name}.{attr}"
                found.append(f"{owner} = {value}")
    return found[:3]
