"""The check's context: the reference copy, its traced graph and outputs, and the options as
every attempt needs them. Built once per check and device by `make_context`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch_pruning as tp

from . import hf
from .copying import deep_copy
from .errors import Diagnosis, InvalidOption, PruneCheckFailure, one_line
from .graph import DEFAULT_ROOT_TYPES, GraphInfo, analyse
from .macs import counting_macs
from .modes import call_model, copy_inputs, copy_model, tensors_of

LayerRef = Union[nn.Module, nn.Parameter, str, type]


@dataclass
class Reference:
    shapes: List[Tuple[int, ...]]
    dtypes: List[torch.dtype]
    grad_names: List[str]
    params: int
    macs: Optional[float]
    # False while grad_names are the parameters the traced autograd graph reaches (no backward
    # was run: for BERT-base it costs as much as pruning). Any failure that rests on them
    # runs the real unpruned backward first (confirm_reference), so verdicts do not change.
    backward_ran: bool = True


@dataclass
class Context:
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
    reference: Optional[Reference] = None
    graph: GraphInfo = field(default_factory=GraphInfo)
    atol: float = 1e-4
    after_prune: Optional[Callable[..., Any]] = None
    # Attention modules whose projections are kept whole because of grouped-query attention.
    gqa_kept: List[str] = field(default_factory=list)
    # Groups of parameter names that are one tensor in the unpruned model (weight ties).
    ties: List[List[str]] = field(default_factory=list)
    # Shapes of pruned copies whose backward, gradients and round trip passed in this check.
    verified_shapes: set = field(default_factory=set)

    def fresh_inputs(self) -> Any:
        """A new copy of the inputs for one forward: a model that edits its input in place
        (x.sub_(mean)) must see the same values in every forward of every probe."""
        return copy_inputs(self.inputs, self.device)


def make_context(model: nn.Module, example_inputs: Any, dev: torch.device, *, importance: Any,
                 pruning_ratio: float, ignored_layers: Optional[Sequence[LayerRef]], keep_output_shapes: bool,
                 pruner_kwargs: Dict[str, Any], pruner_class: Any, atol: float,
                 after_prune: Optional[Callable[..., Any]] = None, gqa_keep_attention: bool = True) -> Context:
    original_names: Dict[int, str] = {id(m): n for n, m in model.named_modules()}
    original_names.update({id(p): n for n, p in model.named_parameters()})
    try:
        ignored_names, ignored_params = layer_names(model, ignored_layers or (), original_names)
    except (AttributeError, TypeError, ValueError) as exc:
        raise InvalidOption(f"ignored_layers: {exc}") from None
    try:
        ref = copy_model(model, dev)
    except Exception as exc:  # noqa: BLE001 - turned into a diagnosis
        raise PruneCheckFailure(type(model).__name__, Diagnosis(
            stage="copying the model", probe="-", error=one_line(exc),
            hints=[_copy_hint(model, exc)]),
            device=str(dev), pruning_ratio=pruning_ratio) from None
    ref.eval()  # dropout off and BN on running stats, so outputs are comparable
    is_hf = hf.is_hf_model(ref)
    if is_hf:
        hf.prepare(ref)
    inputs = copy_inputs(example_inputs, dev)
    forward = pruner_kwargs.get("forward_fn") or call_model
    ctx = Context(
        model_name=type(model).__name__, device=dev, ref=ref, inputs=inputs, forward=forward,
        importance=importance, pruning_ratio=pruning_ratio, ignored_names=ignored_names,
        ignored_param_names=ignored_params, pruner_kwargs=dict(pruner_kwargs),
        original_names=original_names, pruner_class=pruner_class or tp.pruner.BasePruner,
        is_hf=is_hf, atol=atol, after_prune=after_prune, ties=find_ties(ref),
    )
    if is_hf and gqa_keep_attention and "num_heads" not in pruner_kwargs:
        # Torch-Pruning 1.6 never finishes grouping through repeat_kv (its issue #527). Kept
        # whole, the attention projections leave the MLPs and the rest prunable (bench evidence:
        # bench/zoo_labels.json, "gqa route").
        for a in hf.find_attention(ref):
            if a.kv_heads < a.heads:
                ctx.gqa_kept.append(a.name)
                ctx.ignored_names += [n for n in a.projection_names() if n not in ctx.ignored_names]
    # The graph is traced on the reference copy itself, and that forward's outputs become the
    # reference outputs: no copy and no forward of its own. (Tracing on ref also keeps the
    # ignored modules and remapped parameters below in the graph they belong to.)
    outputs: List[Any] = []
    try:
        with counting_macs(ref) as macs:
            ctx.graph = analyse(
                ref, ctx.fresh_inputs(), forward_fn=forward,
                ignored_modules=[ref.get_submodule(n) for n in ctx.ignored_names],
                root_module_types=pruner_kwargs.get("root_module_types", DEFAULT_ROOT_TYPES),
                unwrapped_parameters=remap(pruner_kwargs.get("unwrapped_parameters"), ctx, ref),
                customized_pruners=remap(pruner_kwargs.get("customized_pruners"), ctx, ref),
                outputs=outputs,
            )
    except Exception as exc:  # noqa: BLE001 - turned into a diagnosis
        # A model whose own forward/backward fails is told so, not blamed on Torch-Pruning.
        compute_reference(ctx, copy_model(ref, dev))
        raise PruneCheckFailure(ctx.model_name, Diagnosis(
            stage="building the dependency graph", probe="-", error=one_line(exc),
            hints=["Torch-Pruning traces the model with autograd; unusual control flow or non-tensor "
                   "outputs may need forward_fn= or output_transform="]),
            device=str(dev), pruning_ratio=pruning_ratio) from None
    ctx.reference = compute_reference(ctx, ref, outputs[:1], macs=macs.total)
    if keep_output_shapes:
        ctx.ignored_names = ctx.ignored_names + [n for n in ctx.graph.output_layers if n not in ctx.ignored_names]
    return ctx


def _copy_hint(model: nn.Module, exc: BaseException) -> str:
    meta = [n for n, t in list(model.named_parameters()) + list(model.named_buffers()) if t.is_meta]
    if meta:
        return (f"{len(meta)} tensors are on the meta device ({', '.join(meta[:3])}): they have no data to "
                "prune or run; materialise the model first (model.to_empty(device='cpu') and load weights)")
    return ("the check prunes deep copies, so the model must support copy.deepcopy: keep locks, "
            "open files and similar objects out of the module's attributes")


def layer_names(model: nn.Module, layers: Sequence[LayerRef], names: Dict[int, str]) -> Tuple[List[str], List[str]]:
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


def remap(obj: Any, ctx: Context, target: nn.Module) -> Any:
    """Replace the caller's modules/parameters inside pruner kwargs by the copy's."""
    if isinstance(obj, (nn.Module, nn.Parameter)) and id(obj) in ctx.original_names:
        name = ctx.original_names[id(obj)]
        if isinstance(obj, nn.Parameter):
            return target.get_parameter(name)
        return target.get_submodule(name)
    if isinstance(obj, dict):
        return {remap(k, ctx, target): remap(v, ctx, target) for k, v in obj.items()}
    if isinstance(obj, list):
        return [remap(v, ctx, target) for v in obj]
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(remap(v, ctx, target) for v in obj)
    if isinstance(obj, tuple):
        return type(obj)(*(remap(v, ctx, target) for v in obj))
    return obj


def find_ties(model: nn.Module) -> List[List[str]]:
    """Names under which one Parameter object appears more than once (tied weights)."""
    by_id: Dict[int, List[str]] = {}
    for name, p in model.named_parameters(remove_duplicate=False):
        by_id.setdefault(id(p), []).append(name)
    return [names for names in by_id.values() if len(names) > 1]


def broken_ties(model: nn.Module, ties: List[List[str]]) -> List[str]:
    """Ties of the unpruned model that are two different tensors after pruning."""
    broken = []
    for names in ties:
        try:
            tensors = [model.get_parameter(n) for n in names]
        except AttributeError:
            broken.append(" = ".join(names))
            continue
        if any(t is not tensors[0] for t in tensors[1:]):
            shapes = ", ".join(f"{n} {tuple(t.shape)}" for n, t in zip(names, tensors))
            broken.append(f"{' = '.join(names)} are no longer one tensor ({shapes})")
    return broken


def compute_reference(ctx: Context, model: nn.Module, traced: Sequence[Any] = (),
                      macs: Optional[float] = None) -> Reference:
    """Outputs and gradients of the unpruned `model` (ctx.ref or a copy), from the forward that
    traced it if there was one (`macs`: what that forward counted)."""
    try:
        outputs = traced[0] if traced else ctx.forward(model, ctx.fresh_inputs())
        tensors = tensors_of(outputs)
        if not traced:
            run_backward(tensors)
    except Exception as exc:  # noqa: BLE001
        raise PruneCheckFailure(ctx.model_name, Diagnosis(
            stage="the unpruned model's forward/backward", probe="-", error=one_line(exc),
            hints=["this fails before any pruning: check the model and example_inputs"]),
            device=str(ctx.device), pruning_ratio=ctx.pruning_ratio) from None
    if traced:
        grads = reachable_parameters(model, tensors)
    else:
        grads = [n for n, p in model.named_parameters() if p.grad is not None]
    return Reference(
        shapes=[tuple(t.shape) for t in tensors], dtypes=[t.dtype for t in tensors], grad_names=grads,
        params=sum(p.numel() for p in ctx.ref.parameters()), macs=macs,
        backward_ran=not traced,
    )


def reachable_parameters(model: nn.Module, tensors: List[torch.Tensor]) -> List[str]:
    """Parameters that run_backward(tensors) would give a gradient: the leaves the graph reaches."""
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


def confirm_reference(ctx: Context) -> Reference:
    """The unpruned backward that set-up skipped, run once when a verdict depends on it.

    Raises the "unpruned model's forward/backward" failure if it fails there too; otherwise
    grad_names become exactly the parameters that got a gradient (a custom autograd Function
    may return None for an input the graph reaches).
    """
    ref = ctx.reference
    assert ref is not None
    if not ref.backward_ran:
        real = compute_reference(ctx, copy_model(ctx.ref, ctx.device))
        ref.grad_names, ref.backward_ran = real.grad_names, True
    return ref


def run_backward(tensors: List[torch.Tensor]) -> None:
    losses = [t.float().sum() for t in tensors if t.requires_grad and t.is_floating_point()]
    if losses:
        torch.stack(losses).sum().backward()


def sharing_copy(model: nn.Module) -> nn.Module:
    """A deep copy of the modules that shares the parameters and buffers.

    For uses that only read tensors, under no_grad, or that replace every module's tensors
    (tp.load_state_dict updates each module's __dict__): cloning BERT-base's 440 MB of
    weights costs about as much as pruning it.
    """
    memo: Dict[int, Any] = {id(t): t for t in model.parameters()}
    memo.update((id(t), t) for t in model.buffers())
    return deep_copy(model, memo)
