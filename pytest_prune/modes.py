"""Autograd, RNG and module-mode hygiene around a check."""
from __future__ import annotations

import contextlib
import copy
import gc
import random
from collections.abc import Mapping
from typing import Any, Callable, Dict, Iterator, List, Tuple

import torch
import torch.nn as nn

from .copying import deep_copy


@contextlib.contextmanager
def autograd_on() -> Iterator[None]:
    """Tracing needs a real autograd graph.

    `enable_grad()` alone does not leave inference mode, so both are needed; the caller's
    mode comes back when the context exits.
    """
    with torch.inference_mode(False), torch.enable_grad():
        yield


@contextlib.contextmanager
def collections_deferred() -> Iterator[Callable[[], None]]:
    """No automatic cyclic garbage collection while a check runs: it yields `sweep`, which
    collects the youngest generation (what the check allocated since the last sweep), run
    after each probe and when the check ends.

    A check allocates many times what bare Torch-Pruning does (a copy per probe, graphs, group
    descriptions), and those allocations trigger collections of the older generations too,
    which scan every object of the process (a test process holds torch and transformers: about
    360,000 of them). Measured on the zoo's BERT: 14 ms of a 56 ms check were collections.
    A sweep frees the check's own cycles at a cost proportional to what was allocated since the
    last one. Torch-Pruning's graphs are such cycles, and they hold the autograd graph of their
    tracing forward, so the weights a probe pruned away: without a sweep per probe they stayed
    until the end (BERT-base: a probe cost 1.2 s instead of 0.8 s, in fresh memory). A caller
    that turned collection off keeps it off, and nothing is collected for it.
    """
    if not gc.isenabled():
        yield lambda: None
        return
    gc.disable()
    try:
        yield lambda: gc.collect(0)
    finally:
        gc.enable()
        gc.collect(0)


@contextlib.contextmanager
def seeded(seed: int = 0) -> Iterator[None]:
    """Seed locally and give the caller back its RNG streams untouched."""
    devices: List[int] = []
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        devices = list(range(torch.cuda.device_count()))
    py_state = random.getstate()
    try:
        with torch.random.fork_rng(devices=devices):
            # Not torch.manual_seed: with CUDA not yet initialised it queues a seed_all that
            # would seed the caller's CUDA generators whenever CUDA starts, long after this.
            torch.random.default_generator.manual_seed(seed)
            if devices:
                torch.cuda.manual_seed_all(seed)
            random.seed(seed)
            yield
    finally:
        random.setstate(py_state)


def _usable(t: torch.Tensor) -> torch.Tensor:
    # Inference tensors cannot be recorded by autograd; a clone made outside inference mode can.
    return t.clone() if t.is_inference() else t


def copy_model(model: nn.Module, device: torch.device) -> nn.Module:
    """A deep copy on `device` whose tensors autograd can use; the original is not touched."""
    clone = deep_copy(model)
    replaced: Dict[int, torch.Tensor] = {}
    elsewhere = False
    for module in clone.modules():
        for key, p in list(module._parameters.items()):
            if p is None:
                continue
            elsewhere = elsewhere or p.device != device
            if not p.is_inference():
                continue
            if id(p) not in replaced:
                replaced[id(p)] = nn.Parameter(p.clone(), requires_grad=p.requires_grad)
            module._parameters[key] = replaced[id(p)]
        for key, b in list(module._buffers.items()):
            if b is None:
                continue
            elsewhere = elsewhere or b.device != device
            if b.is_inference():
                module._buffers[key] = b.clone()
    # Module.to walks every module even when nothing moves (a tenth of a copy on a ResNet).
    return clone.to(device) if elsewhere else clone


def copy_inputs(inputs: Any, device: torch.device) -> Any:
    """Deep copy of tensor / tuple / list / dict inputs, moved to `device`."""
    if isinstance(inputs, torch.Tensor):
        return _usable(inputs.detach()).clone().to(device)
    if isinstance(inputs, Mapping):
        # A plain dict: Torch-Pruning only recognises dict (not BatchEncoding) as keyword inputs.
        return {k: copy_inputs(v, device) for k, v in inputs.items()}
    if isinstance(inputs, tuple) and hasattr(inputs, "_fields"):
        return type(inputs)(*(copy_inputs(v, device) for v in inputs))
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(copy_inputs(v, device) for v in inputs)
    return copy.deepcopy(inputs)


def call_model(model: nn.Module, inputs: Any) -> Any:
    """Call the model the way Torch-Pruning documents its example_inputs."""
    if isinstance(inputs, Mapping):
        return model(**inputs)
    if isinstance(inputs, (list, tuple)):
        return model(*inputs)
    return model(inputs)


def tensors_of(obj: Any) -> List[torch.Tensor]:
    """Every tensor in a (possibly nested, possibly HF ModelOutput) output, in order."""
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, Mapping):
        return [t for v in obj.values() for t in tensors_of(v)]
    if isinstance(obj, (list, tuple)):
        return [t for v in obj for t in tensors_of(v)]
    return []


Fingerprint = Tuple[Any, ...]


def _version(t: torch.Tensor) -> int:
    # Inference tensors have no version counter; nothing outside inference mode can write them anyway.
    return -1 if t.is_inference() else t._version


def fingerprint(model: nn.Module) -> Fingerprint:
    """Identity, version counter, shape, dtype and device of every tensor plus module modes.

    Version counters move on any in-place write, so this detects mutation without cloning.
    """
    items: List[Any] = []
    for name, p in model.named_parameters(remove_duplicate=False):
        items.append(("p", name, id(p), _version(p), tuple(p.shape), p.dtype, str(p.device), p.requires_grad))
    for name, b in model.named_buffers(remove_duplicate=False):
        items.append(("b", name, id(b), _version(b), tuple(b.shape), b.dtype, str(b.device)))
    for name, m in model.named_modules():
        items.append(("m", name, id(m), m.training))
    return tuple(items)
