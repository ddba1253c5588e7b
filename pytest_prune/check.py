"""`check_prunable`: prune deep copies of a model for real and verify the result.

The library API behind the pytest fixtures; usable without pytest.
"""
from __future__ import annotations

import copy
import io
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch_pruning as tp
from torch_pruning import ops

from . import hf
from .devices import resolve_device
from .deadline import TimeLimitExceeded, time_limit
from .isolation import torch_pruning_state_kept
from .errors import Diagnosis, GroupChange, InvalidOption, MemberChange, PruneCheckFailure
from .graph import DEFAULT_ROOT_TYPES, GraphInfo, analyse
from .hints import hints_for
from .modes import autograd_on, call_model, copy_inputs, copy_model, fingerprint, seeded, tensors_of
from .probes import DEFAULT_PROBES, Probe, ProbeSpec, parse_probes
from .report import PruneReport
from .sizes import declared_size_mismatches

LayerRef = Union[nn.Module, nn.Parameter, str, type]

_DUMMY_OPS = (
    ops._ConcatOp, ops._SplitOp, ops._UnbindOp, ops._ReshapeOp, ops._SliceOp,
    ops._OutputOp, ops._ElementWiseOp, ops._ExpandOp, ops._CustomizedOp,
)


class _StageError(Exception):
    """Internal: a verification stage failed; carries what the diagnosis needs."""

    def __init__(self, stage: str, error: str, group: Optional[GroupChange] = None, detail: Sequence[str] = ()):
        super().__init__(error)
        self.stage = stage
        self.error = error
        self.group = group
        self.detail = list(detail)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = next((line.strip() for line in text if line.strip()), "")
    if len(first) > 300:
        first = first[:297] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


@dataclass
class _Reference:
    shapes: List[Tuple[int, ...]]
    dtypes: List[torch.dtype]
    grad_names: List[str]
    params: int
    macs: Optional[float]
    # False while grad_names are the parameters the traced autograd graph reaches (no backward
    # was run: for BERT-base it costs as much as pruning). Any failure that rests on them
    # runs the real unpruned backward first (_confirm_reference), so verdicts do not change.
    backward_ran: bool = True


@dataclass
class _Context:
    """Everything a pruning attempt needs; built once per check, per device."""

    model_name: str
    device: torch.device
    ref: nn.Module
    inputs: Any
    forward: Callable[[nn.Module, Any], Any]
    importance: Any
    pruning_ratio: float
    ignored_names: List[str]
    ignored_param_names: List[str]
    pruner_kwargs: Dict[str, Any]
    original_names: Dict[int, str]
    pruner_class: Any
    is_hf: bool
    reference: Optional[_Reference] = None
    graph: GraphInfo = field(default_factory=GraphInfo)
    atol: float = 1e-4


@dataclass
class _Attempt:
    model: nn.Module
    groups: List[GroupChange]
    heads: Dict[str, int]
    attentions: List[Any] = field(default_factory=list)
    seconds: float = 0.0


def check_prunable(
    model: nn.Module,
    example_inputs: Any,
    *,
    pruning_ratio: float = 0.5,
    importance: Any = None,
    ignored_layers: Optional[Sequence[LayerRef]] = None,
    device: Union[str, torch.device, None] = None,
    keep_output_shapes: bool = True,
    probes: ProbeSpec = DEFAULT_PROBES,
    exhaustive: bool = False,
    atol: float = 1e-4,
    time_limit_s: Optional[float] = 300.0,
    pruner_class: Any = None,
    **pruner_kwargs: Any,
) -> PruneReport:
    """Prune copies of `model` with Torch-Pruning and verify the pruned model works.

    Raises PruneCheckFailure (an AssertionError) carrying a diagnosis if any probe breaks
    the model, DeviceUnavailable if `device` does not exist here, and InvalidOption (a
    ValueError) for options it cannot use.
    """
    started = time.perf_counter()
    dev = resolve_device(device)
    try:
        probe_list = parse_probes(probes)
    except (TypeError, ValueError) as exc:
        raise InvalidOption(f"probes={probes!r}: {exc}") from None
    if isinstance(model, torch.jit.ScriptModule):
        # Torch-Pruning traces eager modules through autograd; a scripted module's parameters
        # are not reached, so the check would report "nothing was pruned" for the wrong reason.
        raise PruneCheckFailure(type(model).__name__, Diagnosis(
            stage="tracing", probe="-",
            error="a TorchScript module (torch.jit.script or torch.jit.trace) cannot be traced by Torch-Pruning",
            hints=["check the eager nn.Module, before scripting it: prune first, then script the pruned model"]),
            device=str(dev), pruning_ratio=pruning_ratio)
    before = fingerprint(model)
    phase: List[str] = ["building the dependency graph"]
    try:
        with time_limit(time_limit_s, phase), torch_pruning_state_kept():
            return _check(model, example_inputs, dev, probe_list, before, phase, started, importance=importance,
                          pruning_ratio=pruning_ratio, ignored_layers=ignored_layers,
                          keep_output_shapes=keep_output_shapes, exhaustive=exhaustive, atol=atol,
                          pruner_class=pruner_class, pruner_kwargs=pruner_kwargs)
    except TimeLimitExceeded as exc:
        raise PruneCheckFailure(type(model).__name__, Diagnosis(
            stage="time limit", probe="-", error=f"Torch-Pruning is {exc.args[0]} (time_limit_s={time_limit_s})",
            hints=_time_limit_hints(model)),
            device=str(dev), pruning_ratio=pruning_ratio) from None


def _time_limit_hints(model: Any) -> List[str]:
    config = getattr(model, "config", None)
    heads = getattr(config, "num_attention_heads", None)
    kv_heads = getattr(config, "num_key_value_heads", None)
    if heads and kv_heads and kv_heads < heads:
        # Seen here: the same tiny LLaMA prunes in 0.02 s with kv_heads == heads, and never
        # finishes grouping with kv_heads < heads (Torch-Pruning 1.6.1, transformers 5).
        return [f"grouped-query attention ({heads} query heads, {kv_heads} key/value heads) makes "
                "Torch-Pruning 1.6's group expansion loop forever (Torch-Pruning issue #527); "
                "ignore the k_proj/v_proj layers or prune a model without GQA"]
    return ["Torch-Pruning's group expansion can loop forever on some graphs; ignore the layers "
            "involved or raise time_limit_s"]


def _check(model, example_inputs, dev, probe_list, before, phase, started, *, importance, pruning_ratio,
           ignored_layers, keep_output_shapes, exhaustive, atol, pruner_class, pruner_kwargs) -> PruneReport:
    with seeded(0), autograd_on(), warnings.catch_warnings():
        # Torch-Pruning's tracing warnings are noise here; what matters ends up in the diagnosis.
        warnings.filterwarnings("ignore", module="torch_pruning")
        ctx = _make_context(
            model, example_inputs, dev, importance, pruning_ratio, ignored_layers,
            keep_output_shapes, pruner_kwargs, pruner_class, atol,
        )
        verdicts: List[Tuple[str, str]] = []
        failures: List[Diagnosis] = []
        attempts: Dict[str, _Attempt] = {}
        for probe in probe_list:
            phase.append(f"pruning probe {probe.name}")
            outcome = _run_probe(ctx, probe)
            if isinstance(outcome, Diagnosis):
                verdicts.append((probe.name, f"FAILED ({outcome.stage})"))
                failures.append(outcome)
            else:
                verdicts.append((probe.name, "ok"))
                attempts[probe.name] = outcome
        if exhaustive:
            # Groups that reach an output are pruned too unless keep_output_shapes ignored them.
            roots = ctx.graph.group_roots + [r for r in ctx.graph.output_layers if r not in ctx.ignored_names]
            for root in roots:
                for probe in probe_list:
                    label = f"{probe.name}@{root}"
                    outcome = _run_probe(ctx, probe, only_root=root, label=label)
                    if isinstance(outcome, Diagnosis):
                        verdicts.append((label, f"FAILED ({outcome.stage})"))
                        failures.append(outcome)
                    else:
                        verdicts.append((label, "ok"))
        if not failures and dev.type != "cpu":
            mismatch = _compare_with_cpu(ctx, model, example_inputs, importance, pruning_ratio, ignored_layers,
                                         keep_output_shapes, pruner_kwargs, pruner_class, attempts, probe_list[0])
            if mismatch is not None:
                failures.append(mismatch)
                verdicts.append((f"{probe_list[0].name}@cpu", "FAILED (cpu/device shapes differ)"))

    if fingerprint(model) != before:
        # Our own guarantee; if it ever breaks the user must hear about it.
        failures.insert(0, Diagnosis(stage="original model was modified", probe="-",
                                     error="parameters, buffers or training flags of the caller's model changed"))
    if failures:
        passed = {name for name, verdict in verdicts if verdict == "ok"}
        first = failures[0]
        first.hints = hints_for(first, ctx, passed) + first.hints
        raise PruneCheckFailure(ctx.model_name, first, device=str(dev), pruning_ratio=pruning_ratio,
                                probe_verdicts=verdicts)

    main = attempts[probe_list[0].name]
    ref = ctx.reference
    assert ref is not None
    pruned_params = sum(p.numel() for p in main.model.parameters())
    macs_after = _count_macs(main.model, ctx.inputs)
    checks = ["group sizes", "declared sizes", "forward", "output shapes+dtypes", "backward", "gradients",
              "fewer params", "state-dict round trip"]
    if dev.type != "cpu":
        checks.append("same shapes as cpu")
    return PruneReport(
        model=main.model,
        model_name=ctx.model_name,
        params_before=ref.params,
        params_after=pruned_params,
        macs_before=ref.macs,
        macs_after=macs_after,
        groups=main.groups,
        device=str(dev),
        probes=[name for name, _ in verdicts],
        pruning_ratio=pruning_ratio,
        ignored_layers=list(ctx.ignored_names),
        num_heads=main.heads,
        seconds=time.perf_counter() - started,
        probe_seconds={name: a.seconds for name, a in attempts.items()},
        checks=checks,
    )


# --------------------------------------------------------------------------- setup


def _make_context(model, example_inputs, dev, importance, pruning_ratio, ignored_layers,
                  keep_output_shapes, pruner_kwargs, pruner_class, atol) -> _Context:
    original_names: Dict[int, str] = {id(m): n for n, m in model.named_modules()}
    original_names.update({id(p): n for n, p in model.named_parameters()})
    try:
        ignored_names, ignored_params = _layer_names(model, ignored_layers or (), original_names)
    except (AttributeError, TypeError, ValueError) as exc:
        raise InvalidOption(f"ignored_layers: {exc}") from None
    try:
        ref = copy_model(model, dev)
    except Exception as exc:  # noqa: BLE001 - turned into a diagnosis
        raise PruneCheckFailure(type(model).__name__, Diagnosis(
            stage="copying the model", probe="-", error=_one_line(exc),
            hints=["the check prunes deep copies, so the model must support copy.deepcopy: keep locks, "
                   "open files and similar objects out of the module's attributes"]),
            device=str(dev), pruning_ratio=pruning_ratio) from None
    ref.eval()  # dropout off and BN on running stats, so outputs are comparable
    is_hf = hf.is_hf_model(ref)
    if is_hf:
        hf.prepare(ref)
    inputs = copy_inputs(example_inputs, dev)
    forward = pruner_kwargs.get("forward_fn") or call_model
    ctx = _Context(
        model_name=type(model).__name__, device=dev, ref=ref, inputs=inputs, forward=forward,
        importance=importance, pruning_ratio=pruning_ratio, ignored_names=ignored_names,
        ignored_param_names=ignored_params, pruner_kwargs=dict(pruner_kwargs),
        original_names=original_names, pruner_class=pruner_class or tp.pruner.BasePruner,
        is_hf=is_hf, atol=atol,
    )
    # The graph is traced on the reference copy itself, and that forward's outputs become the
    # reference outputs: no copy and no forward of its own. (Tracing on ref also keeps the
    # ignored modules and remapped parameters below in the graph they belong to.)
    outputs: List[Any] = []
    try:
        ctx.graph = analyse(
            ref, inputs, forward_fn=forward,
            ignored_modules=[ref.get_submodule(n) for n in ignored_names],
            root_module_types=pruner_kwargs.get("root_module_types", DEFAULT_ROOT_TYPES),
            unwrapped_parameters=_remap(pruner_kwargs.get("unwrapped_parameters"), ctx, ref),
            customized_pruners=_remap(pruner_kwargs.get("customized_pruners"), ctx, ref),
            outputs=outputs,
        )
    except Exception as exc:  # noqa: BLE001 - turned into a diagnosis
        # A model whose own forward/backward fails is told so, not blamed on Torch-Pruning.
        _reference(ctx, copy_model(ref, dev))
        raise PruneCheckFailure(ctx.model_name, Diagnosis(
            stage="building the dependency graph", probe="-", error=_one_line(exc),
            hints=["Torch-Pruning traces the model with autograd; unusual control flow or non-tensor "
                   "outputs may need forward_fn= or output_transform="]),
            device=str(dev), pruning_ratio=pruning_ratio) from None
    ctx.reference = _reference(ctx, ref, outputs[:1])
    if keep_output_shapes:
        ctx.ignored_names = ctx.ignored_names + [n for n in ctx.graph.output_layers if n not in ctx.ignored_names]
    return ctx


def _layer_names(model: nn.Module, layers: Sequence[LayerRef], names: Dict[int, str]) -> Tuple[List[str], List[str]]:
    modules: List[str] = []
    params: List[str] = []
    for layer in layers:
        if isinstance(layer, str):
            model.get_submodule(layer)  # fail early on a typo
            modules.append(layer)
        elif isinstance(layer, type):
            modules.extend(n for n, m in model.named_modules() if isinstance(m, layer))
        elif isinstance(layer, nn.Parameter):
            if id(layer) not in names:
                raise ValueError("ignored_layers contains a parameter that is not part of the model")
            params.append(names[id(layer)])
        elif isinstance(layer, nn.Module):
            if id(layer) not in names:
                raise ValueError(f"ignored_layers contains a {type(layer).__name__} that is not part of the model")
            modules.append(names[id(layer)])
        else:
            raise TypeError(f"ignored_layers entries must be modules, parameters, names or types, not {layer!r}")
    return modules, params


def _remap(obj: Any, ctx: _Context, target: nn.Module) -> Any:
    """Replace the caller's modules/parameters inside pruner kwargs by the copy's."""
    if isinstance(obj, (nn.Module, nn.Parameter)) and id(obj) in ctx.original_names:
        name = ctx.original_names[id(obj)]
        if isinstance(obj, nn.Parameter):
            return target.get_parameter(name)
        return target.get_submodule(name)
    if isinstance(obj, dict):
        return {_remap(k, ctx, target): _remap(v, ctx, target) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_remap(v, ctx, target) for v in obj]
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_remap(v, ctx, target) for v in obj)
    if isinstance(obj, tuple):
        return type(obj)(*(_remap(v, ctx, target) for v in obj))
    return obj


def _reference(ctx: _Context, model: nn.Module, traced: Sequence[Any] = ()) -> _Reference:
    """Outputs and gradients of the unpruned `model` (ctx.ref or a copy), from the forward that
    traced it if there was one."""
    try:
        outputs = traced[0] if traced else ctx.forward(model, ctx.inputs)
        tensors = tensors_of(outputs)
        if not traced:
            _backward(tensors)
    except Exception as exc:  # noqa: BLE001
        raise PruneCheckFailure(ctx.model_name, Diagnosis(
            stage="the unpruned model's forward/backward", probe="-", error=_one_line(exc),
            hints=["this fails before any pruning: check the model and example_inputs"]),
            device=str(ctx.device), pruning_ratio=ctx.pruning_ratio) from None
    if traced:
        grads = _reachable_parameters(model, tensors)
    else:
        grads = [n for n, p in model.named_parameters() if p.grad is not None]
    return _Reference(
        shapes=[tuple(t.shape) for t in tensors], dtypes=[t.dtype for t in tensors], grad_names=grads,
        params=sum(p.numel() for p in ctx.ref.parameters()), macs=_count_macs(ctx.ref, ctx.inputs),
        backward_ran=not traced,
    )


def _reachable_parameters(model: nn.Module, tensors: List[torch.Tensor]) -> List[str]:
    """Parameters that _backward(tensors) would give a gradient: the leaves the graph reaches."""
    leaves: set = set()
    stack = []
    for t in tensors:
        if t.requires_grad and t.is_floating_point():
            if t.grad_fn is None:
                leaves.add(id(t))  # an output that is a parameter itself
            else:
                stack.append(t.grad_fn)
    seen: set = set()
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        leaf = getattr(fn, "variable", None)  # AccumulateGrad nodes hold their leaf tensor
        if leaf is not None:
            leaves.add(id(leaf))
        stack.extend(nxt for nxt, _ in fn.next_functions if nxt is not None)
    return [n for n, p in model.named_parameters() if id(p) in leaves]


def _confirm_reference(ctx: _Context) -> _Reference:
    """The unpruned backward that set-up skipped, run once when a verdict depends on it.

    Raises the "unpruned model's forward/backward" failure if it fails there too; otherwise
    grad_names become exactly the parameters that got a gradient (a custom autograd Function
    may return None for an input the graph reaches).
    """
    ref = ctx.reference
    assert ref is not None
    if not ref.backward_ran:
        real = _reference(ctx, copy_model(ctx.ref, ctx.device))
        ref.grad_names, ref.backward_ran = real.grad_names, True
    return ref


def _backward(tensors: List[torch.Tensor]) -> None:
    losses = [t.float().sum() for t in tensors if t.requires_grad and t.is_floating_point()]
    if losses:
        torch.stack(losses).sum().backward()


class _NoCopy(nn.Module):
    """Hands count_ops_and_params a model it need not deep-copy again: it is already a copy."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.model(*args, **kwargs)

    def __deepcopy__(self, memo: Dict[int, Any]) -> "_NoCopy":
        return self


def _sharing_copy(model: nn.Module) -> nn.Module:
    """A deep copy of the modules that shares the parameters and buffers.

    For uses that only read tensors, under no_grad, or that replace every module's tensors
    (tp.load_state_dict updates each module's __dict__): cloning BERT-base's 440 MB of
    weights costs about as much as pruning it.
    """
    memo: Dict[int, Any] = {id(t): t for t in model.parameters()}
    memo.update((id(t), t) for t in model.buffers())
    return copy.deepcopy(model, memo)


def _count_macs(model: nn.Module, inputs: Any) -> Optional[float]:
    try:
        with torch.no_grad():
            # The op counter adds hooks and counters to the modules it is given, and reads
            # tensors only: module objects are copied, tensors shared.
            macs, _ = tp.utils.count_ops_and_params(_NoCopy(_sharing_copy(model)), inputs)
        return float(macs)
    except Exception:  # noqa: BLE001 - MACs are informative only; some ops are not counted
        return None


# --------------------------------------------------------------------------- pruning


def _run_probe(ctx: _Context, probe: Probe, *, only_root: Optional[str] = None,
               label: Optional[str] = None) -> Union[_Attempt, Diagnosis]:
    name = label or probe.name
    started = time.perf_counter()
    try:
        attempt = _prune(ctx, probe, only_root=only_root, localize=False)
        # A single group may legitimately be left alone (too few channels for its grouping).
        _verify(ctx, attempt, require_fewer_params=only_root is None)
    except _StageError as err:
        group, extra = err.group, list(err.detail)
        if group is None and err.stage in _LOCALIZABLE:
            group, extra = _localize(ctx, probe, only_root, err)
        return Diagnosis(stage=err.stage, probe=name, error=err.error, group=group, detail=extra)
    attempt.seconds = time.perf_counter() - started
    return attempt


_LOCALIZABLE = {"forward", "output shape", "output dtype", "backward", "gradients", "declared sizes"}


def _localize(ctx: _Context, probe: Probe, only_root: Optional[str], err: _StageError) -> Tuple[Optional[GroupChange], List[str]]:
    """Replay the same attempt, checking after every group, to name the group that broke it."""
    try:
        _prune(ctx, probe, only_root=only_root, localize=True)
    except _StageError as first:
        detail = list(err.detail)
        if first.stage != err.stage:
            detail.append(f"checked group by group, it first shows up as {first.stage}: {first.error}")
        return first.group, detail
    return None, err.detail + ["no single group breaks it alone: it fails only once all groups are pruned"]


def _prune(ctx: _Context, probe: Probe, *, only_root: Optional[str], localize: bool) -> _Attempt:
    work = copy_model(ctx.ref, ctx.device)
    kwargs = _remap(ctx.pruner_kwargs, ctx, work)
    kwargs.pop("forward_fn", None)
    ignored: List[Any] = [work.get_submodule(n) for n in ctx.ignored_names]
    ignored += [work.get_parameter(n) for n in ctx.ignored_param_names]
    attentions = hf.find_attention(work) if ctx.is_hf else []
    if attentions:
        kwargs.setdefault("num_heads", hf.num_heads_map(attentions))
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
            work, ctx.inputs, importance=probe.make_importance(ctx.importance), pruning_ratio=ratio,
            ignored_layers=ignored, forward_fn=ctx.forward, **kwargs,
        )
    except Exception as exc:  # noqa: BLE001
        raise _StageError("building the pruner / dependency graph", _one_line(exc)) from None
    dg = pruner.DG
    names = {m: n for n, m in work.named_modules()}
    groups: List[GroupChange] = []
    for _ in range(pruner.iterative_steps):
        try:
            step = pruner.step(interactive=True)
        except Exception as exc:  # noqa: BLE001
            raise _StageError("choosing channels (importance / grouping)", _one_line(exc)) from None
        iterator = iter(step)
        while True:
            try:
                group = next(iterator)
            except StopIteration:
                break
            except Exception as exc:  # noqa: BLE001
                raise _StageError("choosing channels (importance / grouping)", _one_line(exc),
                                  group=groups[-1] if groups else None) from None
            change, plan = _describe(dg, group, names)
            try:
                group.prune()
            except Exception as exc:  # noqa: BLE001
                raise _StageError("pruning a group (Torch-Pruning raised)", _one_line(exc), group=change) from None
            _measure(dg, change, plan)
            groups.append(change)
            if localize:
                # A forward between groups needs the heads declared as they are now.
                if attentions:
                    hf.redeclare_heads(work, attentions, pruner.num_heads)
                _check_forward(ctx, work, change, attentions)
        if attentions:
            hf.redeclare_heads(work, attentions, pruner.num_heads)
    heads = {names.get(m, "?"): n for m, n in getattr(pruner, "num_heads", {}).items()} if attentions else {}
    return _Attempt(model=work, groups=groups, heads=heads, attentions=attentions)


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
        raise _StageError("coupled group pruned unevenly", wrong[0], group=change, detail=wrong[1:4])


# --------------------------------------------------------------------------- verification


def _check_forward(ctx: _Context, model: nn.Module, group: Optional[GroupChange], attentions: List[Any]) -> List[torch.Tensor]:
    ref = ctx.reference
    assert ref is not None
    problems = declared_size_mismatches(model) + hf.head_mismatches(attentions)
    if problems:
        raise _StageError("declared sizes", problems[0], group=group, detail=problems[1:4])
    try:
        tensors = tensors_of(ctx.forward(model, ctx.inputs))
    except Exception as exc:  # noqa: BLE001
        raise _StageError("forward", _one_line(exc), group=group) from None
    if len(tensors) != len(ref.shapes):
        raise _StageError("output shape", f"{len(tensors)} output tensors, the original gave {len(ref.shapes)}", group=group)
    for i, (t, shape, dtype) in enumerate(zip(tensors, ref.shapes, ref.dtypes)):
        if tuple(t.shape) != shape:
            raise _StageError("output shape", f"output {i} has shape {tuple(t.shape)}, the original {shape}", group=group)
        if t.dtype != dtype:
            raise _StageError("output dtype", f"output {i} is {t.dtype}, the original {dtype}", group=group)
    try:
        _backward(tensors)
    except Exception as exc:  # noqa: BLE001
        _confirm_reference(ctx)  # a backward that fails unpruned too is not pruning's fault
        raise _StageError("backward", _one_line(exc), group=group) from None
    return tensors


def _verify(ctx: _Context, attempt: _Attempt, require_fewer_params: bool = True) -> None:
    ref = ctx.reference
    assert ref is not None
    model = attempt.model
    tensors = _check_forward(ctx, model, None, attempt.attentions)
    params = dict(model.named_parameters())
    missing = [n for n in ref.grad_names if n in params and params[n].numel() and params[n].grad is None]
    if missing and not ref.backward_ran:
        real = set(_confirm_reference(ctx).grad_names)
        missing = [n for n in missing if n in real]
    if missing:
        raise _StageError("gradients", f"{len(missing)} parameters got no gradient after pruning: "
                          + ", ".join(missing[:5]))
    count = sum(p.numel() for p in model.parameters())
    if require_fewer_params and count >= ref.params:
        raise _StageError("parameter count", f"{ref.params} parameters before and {count} after: nothing was pruned")
    model.zero_grad(set_to_none=True)
    _check_round_trip(ctx, model, [t.detach() for t in tensors])


def _check_round_trip(ctx: _Context, model: nn.Module, expected: List[torch.Tensor]) -> None:
    try:
        state = _without_readonly_properties(model, tp.state_dict(model))
        # Through bytes, as a saved file would go: loaded in the same process, Torch-Pruning's
        # state dict hands the pruned model's own module objects to the fresh one, so the
        # reload would prove nothing.
        buffer = io.BytesIO()
        torch.save(state, buffer)
        buffer.seek(0)
        state = torch.load(buffer, weights_only=False)
        fresh = _sharing_copy(ctx.ref)
        tp.load_state_dict(fresh, state_dict=state)
        fresh.eval()
        with torch.no_grad():
            got = tensors_of(ctx.forward(fresh, ctx.inputs))
    except Exception as exc:  # noqa: BLE001
        raise _StageError("state-dict round trip", _one_line(exc)) from None
    if len(got) != len(expected):
        raise _StageError("state-dict round trip", f"reloaded model gives {len(got)} outputs, pruned model {len(expected)}")
    for i, (a, b) in enumerate(zip(got, expected)):
        if a.shape != b.shape:
            raise _StageError("state-dict round trip", f"output {i}: reloaded {tuple(a.shape)} vs pruned {tuple(b.shape)}")
        if a.is_floating_point() and not torch.allclose(a.float(), b.float(), atol=ctx.atol, rtol=1e-3):
            diff = (a.float() - b.float()).abs().max().item()
            raise _StageError("state-dict round trip", f"output {i} differs after reload (max abs diff {diff:.3g})")


def _without_readonly_properties(model: nn.Module, state: Dict[str, Any]) -> Dict[str, Any]:
    """tp.state_dict records every public attribute, read-only properties included (transformers
    models have several); tp.load_state_dict would then fail to set them. They are derived
    values, not state, so they are dropped before loading."""
    modules = dict(model.named_modules())
    for name, attrs in state["attributions"].items():
        cls = type(modules[name]) if name in modules else None
        if cls is None:
            continue
        for attr in list(attrs):
            prop = getattr(cls, attr, None)
            if isinstance(prop, property) and prop.fset is None:
                del attrs[attr]
    return state


def _compare_with_cpu(ctx, model, example_inputs, importance, pruning_ratio, ignored_layers,
                      keep_output_shapes, pruner_kwargs, pruner_class, attempts, probe) -> Optional[Diagnosis]:
    """The same probe on CPU must prune to the same parameter shapes."""
    cpu = _make_context(model, example_inputs, torch.device("cpu"), importance, pruning_ratio, ignored_layers,
                        keep_output_shapes, pruner_kwargs, pruner_class, ctx.atol)
    other = _run_probe(cpu, probe, label=f"{probe.name}@cpu")
    if isinstance(other, Diagnosis):
        other.stage = f"on cpu: {other.stage}"
        return other
    here = {n: tuple(p.shape) for n, p in attempts[probe.name].model.named_parameters()}
    there = {n: tuple(p.shape) for n, p in other.model.named_parameters()}
    diff = [f"{n}: {ctx.device} {here.get(n)} vs cpu {there.get(n)}" for n in sorted(set(here) | set(there))
            if here.get(n) != there.get(n)]
    if diff:
        return Diagnosis(stage="cpu and device prune to different shapes", probe=probe.name,
                         error=diff[0], detail=diff[1:4])
    return None
