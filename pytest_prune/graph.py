"""Dependency-graph construction and the questions we ask of it before pruning."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch_pruning as tp
from torch_pruning import ops

from .modes import autograd_on, call_model, seeded, tensors_of

DEFAULT_ROOT_TYPES = (ops.TORCH_CONV, ops.TORCH_LINEAR, ops.TORCH_LSTM)


@dataclass
class GraphInfo:
    output_layers: List[str] = field(default_factory=list)
    group_roots: List[str] = field(default_factory=list)
    unwrapped: List[str] = field(default_factory=list)


def build_dependency_graph(
    model: nn.Module,
    example_inputs: Any,
    *,
    forward_fn: Optional[Callable[[nn.Module, Any], Any]] = None,
    **kwargs: Any,
) -> "tp.DependencyGraph":
    """Build a DependencyGraph on `model` itself, whatever the ambient grad mode.

    Tracing switches the model to eval(); module modes and the global RNG are restored
    so that building a graph has no side effect a test could observe.
    """
    modes = {m: m.training for m in model.modules()}
    # Torch-Pruning removes its tracing hooks only when forward returns; if forward raises
    # they would stay on the caller's modules, so whatever it added is removed here.
    hooks = {m: set(m._forward_hooks) for m in model.modules()}
    try:
        with autograd_on(), seeded(0):
            return tp.DependencyGraph().build_dependency(
                model,
                example_inputs=example_inputs,
                forward_fn=forward_fn or call_model,
                verbose=kwargs.pop("verbose", False),
                **kwargs,
            )
    finally:
        for m, training in modes.items():
            m.training = training
        for m, before in hooks.items():
            for key in set(m._forward_hooks) - before:
                del m._forward_hooks[key]
                m._forward_hooks_with_kwargs.pop(key, None)
                m._forward_hooks_always_called.pop(key, None)


def analyse(
    model: nn.Module,
    example_inputs: Any,
    *,
    forward_fn: Callable[[nn.Module, Any], Any],
    ignored_modules: Sequence[nn.Module] = (),
    root_module_types: Sequence[type] = DEFAULT_ROOT_TYPES,
    unwrapped_parameters: Any = None,
    customized_pruners: Any = None,
    outputs: Optional[List[Any]] = None,
) -> GraphInfo:
    """Find the groups whose pruning would change an output's shape, and all group roots.

    `outputs`, if given, receives what the traced forward returned (still attached to its
    autograd graph), so the caller can reuse that forward instead of running another.
    """
    outputs = [] if outputs is None else outputs

    def capturing_forward(m: nn.Module, inputs: Any) -> Any:
        out = forward_fn(m, inputs)
        outputs.append(out)
        return out

    # Through build_dependency_graph: a forward that raises leaves no tracing hooks behind.
    dg = build_dependency_graph(
        model,
        example_inputs,
        forward_fn=capturing_forward,
        unwrapped_parameters=unwrapped_parameters,
        customized_pruners=customized_pruners,
    )
    out_fns = {t.grad_fn for out in outputs for t in tensors_of(out) if t.grad_fn is not None}
    output_nodes = {node for node in dg.module2node.values() if node.grad_fn in out_fns}

    names = {m: n for n, m in model.named_modules()}
    info = GraphInfo(unwrapped=[dg._param_to_name.get(p, "?") for p, _ in dg.unwrapped_parameters])
    ignored = list(ignored_modules)
    for group in dg.get_all_groups(ignored_layers=ignored, root_module_types=tuple(root_module_types)):
        root = group[0].dep.target.module
        root_name = names.get(root)
        if root_name is None:
            continue
        reaches_output = False
        for dep, _ in group:
            target = dep.target
            if target not in output_nodes:
                continue
            # An output op is hit through its input side; a module output only through its out side.
            if target.type == ops.OPTYPE.OUTPUT or dg.is_out_channel_pruning_fn(dep.handler):
                reaches_output = True
                break
        if reaches_output:
            info.output_layers.append(root_name)
        else:
            info.group_roots.append(root_name)
    return info
