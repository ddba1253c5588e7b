"""One pruning attempt: copy the reference, build the pruner, prune group by group (recording
every coupled member's size), re-declare attention heads, run the user's `after_prune`, and
verify; or replay the attempt group by group to name the group that broke it."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

import torch.nn as nn
from torch_pruning import ops

from . import hf
from .context import Context, remap
from .errors import Diagnosis, GroupChange, MemberChange, StageError, one_line
from .modes import copy_model
from .probes import Probe
from .verify import check_forward, verify

_DUMMY_OPS = (
    ops._ConcatOp, ops._SplitOp, ops._UnbindOp, ops._ReshapeOp, ops._SliceOp,
    ops._OutputOp, ops._ElementWiseOp, ops._ExpandOp, ops._CustomizedOp,
)

LOCALIZABLE = {"forward", "output shape", "output dtype", "backward", "gradients", "declared sizes"}


@dataclass
class Attempt:
    model: nn.Module
    groups: List[GroupChange]
    heads: Dict[str, int]
    macs: Optional[float] = None  # counted in the verifying forward
    attentions: List[Any] = field(default_factory=list)
    seconds: float = 0.0


def run_probe(ctx: Context, probe: Probe, *, only_root: Optional[str] = None,
              label: Optional[str] = None, count_macs: bool = False) -> Union[Attempt, Diagnosis]:
    name = label or probe.name
    started = time.perf_counter()
    try:
        attempt = prune(ctx, probe, only_root=only_root, localize=False)
        # A single group may legitimately be left alone (too few channels for its grouping).
        attempt.macs = verify(ctx, attempt.model, attempt.attentions, require_fewer_params=only_root is None,
                              count_macs=count_macs)
    except StageError as err:
        group, extra = err.group, list(err.detail)
        if group is None and err.stage in LOCALIZABLE:
            group, extra = localize(ctx, probe, only_root, err)
        return Diagnosis(stage=err.stage, probe=name, error=err.error, group=group, detail=extra, layer=err.layer)
    attempt.seconds = time.perf_counter() - started
    return attempt


def localize(ctx: Context, probe: Probe, only_root: Optional[str], err: StageError) -> Tuple[Optional[GroupChange], List[str]]:
    """Replay the same attempt, checking after every group, to name the group that broke it."""
    try:
        prune(ctx, probe, only_root=only_root, localize=True)
    except StageError as first:
        detail = list(err.detail)
        if first.stage != err.stage:
            detail.append(f"checked group by group, it first shows up as {first.stage}: {first.error}")
        return first.group, detail
    return None, err.detail + ["no single group breaks it alone: it fails only once all groups are pruned"]


def torch_pruning_location(exc: BaseException) -> Tuple[Optional[str], Optional[str], Optional[str]]:
    """(layer, op, where) for an exception raised inside Torch-Pruning's own code: the layer of
    the innermost frame holding a dependency (Group.prune's `dep`), the innermost pruning
    function that was running (`LSTMPruner.prune_out_channels`), and the innermost TP line."""
    layer = op = where = None
    fallback_layer = None
    tb = exc.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    for tb in reversed(frames):
        code = tb.tb_frame.f_code
        if "torch_pruning" not in code.co_filename:
            continue
        local = tb.tb_frame.f_locals
        if where is None:
            where = f"torch_pruning/{code.co_filename.split('torch_pruning/')[-1]}:{tb.tb_lineno} in {code.co_name}"
        owner = local.get("self")
        if op is None and code.co_name.startswith("prune_") and owner is not None:
            op = f"{type(owner).__name__}.{code.co_name}"
        if fallback_layer is None and isinstance(local.get("layer"), nn.Module):
            fallback_layer = type(local["layer"]).__name__
        dep = local.get("dep")
        if layer is None and dep is not None and hasattr(dep, "target") and hasattr(dep, "handler"):
            layer = str(getattr(dep.target, "name", dep.target)).split(" (")[0]
            if op is None:
                handler = dep.handler
                owner = getattr(handler, "__self__", None)
                op = getattr(handler, "__name__", "?")
                if owner is not None:
                    op = f"{type(owner).__name__}.{op}"
    return layer or fallback_layer, op, where


def _tp_error(stage: str, exc: BaseException, group: Optional[GroupChange] = None) -> StageError:
    layer, op, where = torch_pruning_location(exc)
    detail = []
    if layer or op:
        detail.append(f"Torch-Pruning raised while applying {op or '?'} to {layer or '?'}"
                      + (f" ({where})" if where else ""))
    elif where:
        detail.append(f"raised in {where}")
    return StageError(stage, one_line(exc), group=group, detail=detail, layer=layer)


def _head_attentions(ctx: Context, work: nn.Module) -> List[hf.Attention]:
    if not ctx.is_hf:
        return []
    return [a for a in hf.find_attention(work) if a.name not in ctx.gqa_kept]


def prune(ctx: Context, probe: Probe, *, only_root: Optional[str], localize: bool) -> Attempt:
    work = copy_model(ctx.ref, ctx.device)
    kwargs = remap(ctx.pruner_kwargs, ctx, work)
    kwargs.pop("forward_fn", None)
    ignored: List[Any] = [work.get_submodule(n) for n in ctx.ignored_names]
    ignored += [work.get_parameter(n) for n in ctx.ignored_param_names]
    attentions = _head_attentions(ctx, work)
    if attentions:
        kwargs.setdefault("num_heads", hf.num_heads_map(attentions))
        if any(a.per_head_bias for a in attentions):
            # T5 and Swin keep a relative-position table with one column per head, which
            # Torch-Pruning does not couple with the heads: remove the same dims inside every
            # head instead of whole heads (bench/zoo_labels.json: T5 "head_dims" route).
            kwargs.setdefault("prune_num_heads", False)
            kwargs.setdefault("prune_head_dims", True)
        else:
            kwargs.setdefault("prune_num_heads", True)
            kwargs.setdefault("prune_head_dims", False)
            kwargs.setdefault("head_pruning_ratio", ctx.pruning_ratio)
    ratio = ctx.pruning_ratio
    if only_root is not None:
        kwargs["pruning_ratio_dict"] = {work.get_submodule(only_root): ratio}
        kwargs["head_pruning_ratio"] = 0.0 if attentions else kwargs.get("head_pruning_ratio", 0.0)
        ratio = 0.0
    try:
        pruner = ctx.pruner_class(
            work, ctx.fresh_inputs(), importance=probe.make_importance(ctx.importance), pruning_ratio=ratio,
            ignored_layers=ignored, forward_fn=ctx.forward, **kwargs,
        )
    except Exception as exc:  # noqa: BLE001
        raise _tp_error("building the pruner / dependency graph", exc) from None
    dg = pruner.DG
    names = {m: n for n, m in work.named_modules()}
    groups: List[GroupChange] = []
    for _ in range(pruner.iterative_steps):
        try:
            step = pruner.step(interactive=True)
        except Exception as exc:  # noqa: BLE001
            raise _tp_error("choosing channels (importance / grouping)", exc) from None
        iterator = iter(step)
        while True:
            try:
                group = next(iterator)
            except StopIteration:
                break
            except Exception as exc:  # noqa: BLE001
                raise _tp_error("choosing channels (importance / grouping)", exc,
                                group=groups[-1] if groups else None) from None
            change, plan = _describe(dg, group, names)
            try:
                group.prune()
            except Exception as exc:  # noqa: BLE001
                raise _tp_error("pruning a group (Torch-Pruning raised)", exc, group=change) from None
            _measure(dg, change, plan)
            groups.append(change)
            if localize:
                # A forward between groups needs the heads declared as they are now.
                _after_groups(ctx, work, attentions, pruner, change)
                check_forward(ctx, work, change, attentions)
        _after_groups(ctx, work, attentions, pruner, None)
    heads = {names.get(m, "?"): n for m, n in getattr(pruner, "num_heads", {}).items()} if attentions else {}
    return Attempt(model=work, groups=groups, heads=heads, attentions=attentions)


def _after_groups(ctx: Context, work: nn.Module, attentions: List[hf.Attention], pruner: Any,
                  group: Optional[GroupChange]) -> None:
    if attentions:
        hf.redeclare_heads(work, attentions, pruner.num_heads)
    if ctx.after_prune is not None:
        try:
            ctx.after_prune(work, pruner)
        except Exception as exc:  # noqa: BLE001
            raise StageError("after_prune", one_line(exc), group=group) from None


def _describe(dg: Any, group: Any, names: Dict[nn.Module, str]) -> Tuple[GroupChange, List[Tuple[Any, str, int]]]:
    """Members with their sizes before pruning, and how many channels each must lose."""
    root_node = group[0].dep.target
    root_name = names.get(root_node.module) or str(root_node.name)
    change = GroupChange(root=root_name, root_kind=type(root_node.module).__name__)
    removed: Dict[Tuple[Any, str], set] = {}
    order: List[Tuple[Any, str]] = []
    for dep, idxs in group:
        node = dep.target
        if isinstance(node.module, _DUMMY_OPS):
            continue
        dim = "out" if dg.is_out_channel_pruning_fn(dep.handler) else "in"
        key = (node, dim)
        if key not in removed:
            removed[key] = set()
            order.append(key)
        removed[key].update(int(i) for i in idxs)
    plan: List[Tuple[Any, str, int]] = []
    for node, dim in order:
        if isinstance(node.module, nn.Parameter):
            name, kind = dg._param_to_name.get(node.module, "parameter"), "Parameter"
        else:
            name, kind = names.get(node.module, str(node.name)), type(node.module).__name__
        size = _channels(dg, node, dim)
        change.members.append(MemberChange(name=name, kind=kind, dim=dim, before=size, after=None,
                                           expected_removed=len(removed[(node, dim)])))
        plan.append((node, dim, len(removed[(node, dim)])))
    return change, plan


def _channels(dg: Any, node: Any, dim: str) -> Optional[int]:
    try:
        return dg.get_out_channels(node) if dim == "out" else dg.get_in_channels(node)
    except Exception:  # noqa: BLE001 - some layers do not report sizes
        return None


def _measure(dg: Any, change: GroupChange, plan: List[Tuple[Any, str, int]]) -> None:
    wrong: List[str] = []
    for member, (node, dim, expected) in zip(change.members, plan):
        member.after = _channels(dg, node, dim)
        if member.before is None or member.after is None:
            continue
        lost = member.before - member.after
        if lost != expected:
            wrong.append(f"{member.name} {dim} lost {lost} channels, the group removed {expected}")
    if wrong:
        raise StageError("coupled group pruned unevenly", wrong[0], group=change, detail=wrong[1:4])
