"""Deep copies of module trees, as `copy.deepcopy` makes them, at a fraction of its cost.

A check copies the model once per probe and once for its reference, and `copy.deepcopy` spends
most of that time on the module objects, not on their tensors: each module's reduce, and a
reduce per empty hook dictionary (the zoo's ResNet: 2.7 ms a copy, 0.5 ms of it tensors; 0.9 ms
this way). For a module whose class copies the default way (no `__deepcopy__`, `__reduce__`,
`__reduce_ex__` or `__getnewargs*__` of its own, a `__getstate__` that gives a dict),
`copy.deepcopy` makes `cls.__new__(cls)` and calls its `__setstate__` (nn.Module's, or a
subclass's own, as convolutions and RNNs have) with a deep copy of `__getstate__()`; this does
the same, walks `_modules` and `_buffers` itself, and lets `copy.deepcopy` copy every other
value with the same memo. Anything else (parametrized modules, classes with their
own copy protocol) goes to `copy.deepcopy` whole, so the result is the same object graph:
shared submodules and tied tensors stay shared. tests/plugin/test_copying.py compares them.
"""
from __future__ import annotations

import copy
import functools
from collections import OrderedDict
from typing import Any, Dict, List, Optional

import torch
import torch.nn as nn
from torch.overrides import has_torch_function_unary

# Values copy.deepcopy returns as they are (its _deepcopy_atomic types, and torch's).
_ATOMIC = frozenset({type(None), int, float, bool, complex, str, bytes, torch.dtype, torch.device})
# nn.Module's own hook dictionaries and buffer-name set: every module holds about ten, each its
# own (nothing else refers to them), so an empty one is copied as a new empty one.
_OWN_CONTAINERS = frozenset(key for key, value in vars(nn.Module()).items() if type(value) in (dict, OrderedDict, set))


@functools.cache
def _default_protocol(cls: type) -> bool:
    """Whether copy.deepcopy copies instances of `cls` by `cls.__new__(cls)`, then
    `__setstate__` with a deep copy of `__getstate__()` (object's reduce, as nn.Module's)."""
    return (
        getattr(cls, "__deepcopy__", None) is None
        and cls.__reduce_ex__ is object.__reduce_ex__
        and cls.__reduce__ is object.__reduce__
        and getattr(cls, "__getnewargs_ex__", None) is None
        and getattr(cls, "__getnewargs__", None) is None
        and hasattr(cls, "__setstate__")
    )


def deep_copy(model: nn.Module, memo: Optional[Dict[int, Any]] = None) -> nn.Module:
    """`copy.deepcopy(model, memo)`: a memo seeded with tensors makes the copy share them."""
    return _copy(model, {} if memo is None else memo)


def deep_copy_tensors(tensors: List[torch.Tensor]) -> List[torch.Tensor]:
    """`copy.deepcopy(tensors)` for a list of tensors, plain buffers the fast way."""
    memo: Dict[int, Any] = {}
    return [_copy_buffer(t, memo) for t in tensors]


def _copy(module: nn.Module, memo: Dict[int, Any]) -> Any:
    done = memo.get(id(module))
    if done is not None:
        return done
    cls = type(module)
    original = module.__getstate__() if _default_protocol(cls) else None
    if type(original) is not dict:
        return copy.deepcopy(module, memo)
    clone = cls.__new__(cls)
    memo[id(module)] = clone
    _keep_alive(module, memo)
    state: Dict[str, Any] = {}
    for key, value in original.items():
        kind = type(value)
        if kind in _ATOMIC or (kind is tuple and all(type(item) in _ATOMIC for item in value)):
            state[key] = value  # copy.deepcopy returns these, and tuples of them, as they are
        elif key == "_modules" and kind is dict:
            state[key] = {name: None if sub is None else _copy(sub, memo) for name, sub in value.items()}
        elif key == "_buffers" and kind is dict:
            state[key] = {name: None if b is None else _copy_buffer(b, memo) for name, b in value.items()}
        elif not value and key in _OWN_CONTAINERS:
            state[key] = kind()
        else:
            state[key] = copy.deepcopy(value, memo)
    clone.__setstate__(state)
    return clone


def _copy_buffer(tensor: torch.Tensor, memo: Dict[int, Any]) -> torch.Tensor:
    """`Tensor.__deepcopy__` for a plain dense buffer, without its Python-level checks (a
    BatchNorm holds three buffers): the storage is copied through the same memo entry, so
    buffers that view one storage still do. Anything else is left to it."""
    done = memo.get(id(tensor))
    if done is not None:
        return done
    if (
        type(tensor) is not torch.Tensor
        or has_torch_function_unary(tensor)
        or tensor.requires_grad
        or tensor.grad is not None
        or tensor.is_sparse
        or tensor.is_quantized
        or tensor.is_conj()
        or tensor.is_neg()
        or tensor.device.type not in ("cpu", "cuda")
        or vars(tensor)
    ):
        return copy.deepcopy(tensor, memo)
    storages = memo.setdefault("torch", {})  # UntypedStorage.__deepcopy__'s own memo entry
    storage = tensor.untyped_storage()
    copied = storages.get(storage._cdata)
    if copied is None:
        copied = storages[storage._cdata] = storage.clone()
    with torch.no_grad():
        clone = tensor.new_empty([]).set_(copied, tensor.storage_offset(), tensor.size(), tensor.stride())
    memo[id(tensor)] = clone
    _keep_alive(tensor, memo)
    return clone


def _keep_alive(obj: Any, memo: Dict[int, Any]) -> None:
    # As copy.deepcopy does: the originals stay referenced while the memo lives, so that no id
    # in it is reused by a new object.
    memo.setdefault(id(memo), []).append(obj)
