"""Options, model and inputs checked before anything is copied or pruned.

A typo in a keyword must read as a typo (with a did-you-mean), not as "cannot be pruned
consistently" three times; a generator or a function passed by mistake must not end in a
traceback from deep inside the check.
"""
from __future__ import annotations

import copy
import difflib
import inspect
import types
from collections.abc import Iterator, Mapping
from typing import Any, Dict, Iterable, List, Optional, Set

import torch
import torch.nn as nn

from .errors import InvalidOption

# check_prunable's own keywords (besides model and example_inputs).
OWN_OPTIONS = (
    "pruning_ratio", "importance", "ignored_layers", "device", "keep_output_shapes", "probes", "exhaustive",
    "atol", "time_limit_s", "pruner_class", "after_prune", "gqa_keep_attention", "threads", "verify_suggestions",
)
# Set by the check for every attempt; a user value would be overwritten or conflict.
_RESERVED = {"model", "example_inputs", "importance", "pruning_ratio", "ignored_layers"}


def pruner_keywords(pruner_class: Any) -> Set[str]:
    """Keyword parameters the pruner's __init__ accepts, through **kwargs-forwarding subclasses."""
    names: Set[str] = set()
    for cls in getattr(pruner_class, "__mro__", (pruner_class,)):
        init = cls.__dict__.get("__init__") if isinstance(cls, type) else None
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            continue
        names.update(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break  # this __init__ does not forward unknown keywords further up
    names.discard("self")
    return names


def check_keywords(pruner_class: Any, pruner_kwargs: Dict[str, Any]) -> None:
    allowed = pruner_keywords(pruner_class)
    known = sorted(set(OWN_OPTIONS) | allowed - {"model", "example_inputs"})
    for key in pruner_kwargs:
        if key in allowed and key not in _RESERVED:
            continue
        if key in ("model", "example_inputs"):
            raise InvalidOption(f"{key}= is given twice: pass it as the first two arguments only")
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        where = getattr(pruner_class, "__name__", str(pruner_class))
        hint = f"; did you mean {close[0]!r}?" if close else f" (neither an option of the check nor of {where})"
        raise InvalidOption(f"unknown keyword {key!r}{hint}")


def check_model(model: Any) -> None:
    if isinstance(model, nn.Module):
        return
    kind = type(model).__name__
    if callable(model) and isinstance(model, (types.FunctionType, type)):
        name = getattr(model, "__name__", kind)
        raise InvalidOption(f"model must be a torch.nn.Module instance, got the {kind} {name!r}: "
                            f"pass {name}() (an instance), not {name}")
    raise InvalidOption(f"model must be a torch.nn.Module instance, got a {kind}")


def check_inputs(example_inputs: Any) -> None:
    problems = list(_input_problems(example_inputs, "example_inputs"))
    if problems:
        raise InvalidOption(problems[0])


def _input_problems(obj: Any, path: str) -> Iterable[str]:
    if isinstance(obj, torch.Tensor):
        if obj.is_meta:
            yield f"{path} is a meta tensor: it has no values to run the model on; pass a real tensor"
        return
    if isinstance(obj, (types.GeneratorType, Iterator)) and not isinstance(obj, (str, bytes)):
        yield (f"{path} is a {type(obj).__name__}: it can be read only once, and the check runs the model "
               "several times; pass a tensor, a tuple/list of positional inputs or a dict of keyword inputs")
        return
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from _input_problems(v, f"{path}[{k!r}]")
        return
    if isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _input_problems(v, f"{path}[{i}]")
        return
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
        return
    try:
        copy.deepcopy(obj)
    except Exception as exc:  # noqa: BLE001 - reported as a readable failure
        yield (f"{path} ({type(obj).__name__}) cannot be copied ({type(exc).__name__}: {exc}); every forward "
               "of the check gets a fresh copy of the inputs: pass tensors, tuples, lists or dicts")


def check_values(pruning_ratio: Any, after_prune: Any, threads: Any) -> None:
    if isinstance(pruning_ratio, bool) or not isinstance(pruning_ratio, (int, float)) or not 0 <= pruning_ratio < 1:
        raise InvalidOption(f"pruning_ratio={pruning_ratio!r}: expected a number in [0, 1)")
    if after_prune is not None and not callable(after_prune):
        raise InvalidOption(f"after_prune={after_prune!r}: expected a callable (model, pruner) -> None")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise InvalidOption(f"threads={threads!r}: expected a positive int")


def meta_tensors(model: nn.Module) -> List[str]:
    return [n for n, t in list(model.named_parameters()) + list(model.named_buffers()) if t.is_meta]


def non_finite_tensors(model: nn.Module) -> List[str]:
    """Floating parameters and buffers holding NaN or Inf.

    One fused pass first (a NaN or Inf element makes the tensor's sum non-finite); only when
    that flags something (or overflows) is each tensor checked element by element."""
    named = [(n, t) for n, t in list(model.named_parameters()) + list(model.named_buffers())
             if t.is_floating_point() and not t.is_meta and t.numel()]
    if not named:
        return []
    with torch.no_grad():
        sums = torch.stack([t.detach().sum(dtype=torch.float64).to("cpu") for _, t in named])
    if bool(torch.isfinite(sums).all()):
        return []
    return [n for n, t in named if not bool(torch.isfinite(t).all())]


def first_close(name: str, choices: Iterable[str]) -> Optional[str]:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None
