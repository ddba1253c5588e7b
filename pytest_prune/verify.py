"""Verification of one pruned copy: declared sizes, forward, outputs, backward, gradients,
parameter count and the tp.state_dict round trip. A failed stage raises StageError."""
from __future__ import annotations

import contextlib
import copyreg
import io
import math
import pickle
from typing import Any, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch_pruning as tp

from . import hf
from .context import Context, Reference, broken_ties, confirm_reference, run_backward, sharing_copy
from .copying import deep_copy_tensors
from .errors import GroupChange, StageError, one_line
from .macs import MacCount, counting_macs
from .modes import tensors_of
from .options import non_finite_tensors
from .sizes import declared_size_mismatches


def check_forward(ctx: Context, model: nn.Module, group: Optional[GroupChange], attentions: List[Any],
                  count_macs: bool = False, backward: bool = True) -> Tuple[List[torch.Tensor], Optional[float]]:
    """The pruned model's outputs, checked against the reference, then (with `backward`) the
    backward through them; and (with `count_macs`) the MACs of that forward."""
    ref = ctx.reference
    assert ref is not None
    problems = declared_size_mismatches(model) + hf.head_mismatches(attentions)
    if problems:
        raise StageError("declared sizes", problems[0], group=group, detail=problems[1:4])
    try:
        with counting_macs(model) if count_macs else contextlib.nullcontext(MacCount()) as macs:
            tensors = tensors_of(ctx.forward(model, ctx.fresh_inputs()))
    except Exception as exc:  # noqa: BLE001
        raise StageError("forward", one_line(exc), group=group) from None
    if len(tensors) != len(ref.shapes):
        raise StageError("output shape", f"{len(tensors)} output tensors, the original gave {len(ref.shapes)}", group=group)
    for i, (t, shape, dtype) in enumerate(zip(tensors, ref.shapes, ref.dtypes)):
        if tuple(t.shape) != shape:
            raise StageError("output shape", f"output {i} has shape {tuple(t.shape)}, the original {shape}", group=group)
        if t.dtype != dtype:
            raise StageError("output dtype", f"output {i} is {t.dtype}, the original {dtype}", group=group)
    if not backward:
        return tensors, macs.total
    try:
        run_backward(tensors)
    except Exception as exc:  # noqa: BLE001
        confirm_reference(ctx)  # a backward that fails unpruned too is not pruning's fault
        raise StageError("backward", one_line(exc), group=group) from None
    return tensors, macs.total


def verify(ctx: Context, model: nn.Module, attentions: List[Any], require_fewer_params: bool = True,
           count_macs: bool = False) -> Optional[float]:
    """Every check of one pruned copy; with `count_macs`, its MACs if they could be counted.

    The backward, the gradient check and the round trip run once per distinct set of parameter
    and buffer shapes. Probes that prune to the same shapes differ only in which channels were
    kept, so their modules run the same operations on tensors of the same shapes: the autograd
    graph (what backward and the gradient check test) and the architecture Torch-Pruning left
    (what the round trip saves and reloads) are the same; only values differ. Which channels
    are chosen matters while pruning (uneven groups, index errors) and in the forward, and
    those run for every probe. On the zoo's small CNNs the backward is four times the forward.
    """
    ref = ctx.reference
    assert ref is not None
    shapes = tuple((n, tuple(t.shape)) for n, t in list(model.named_parameters()) + list(model.named_buffers()))
    first = shapes not in ctx.verified_shapes
    tensors, macs = check_forward(ctx, model, None, attentions, count_macs, backward=first)
    if first:
        _check_gradients(ctx, ref, model)
    _check_parameter_count(ctx, ref, model, require_fewer_params)
    if first:
        model.zero_grad(set_to_none=True)
        check_round_trip(ctx, model, [t.detach() for t in tensors])
        ctx.verified_shapes.add(shapes)
    return macs


def _check_gradients(ctx: Context, ref: Reference, model: nn.Module) -> None:
    params = dict(model.named_parameters())
    # A tie that pruning broke leaves one of its names holding an orphan tensor that forward no
    # longer reads; the broken tie is reported (PruneReport.broken_ties), not a missing gradient.
    untied = {n for names in ctx.ties for n in names} if broken_ties(model, ctx.ties) else set()
    missing = [n for n in ref.grad_names
               if n in params and n not in untied and params[n].numel() and params[n].grad is None]
    if missing and not ref.backward_ran:
        real = set(confirm_reference(ctx).grad_names)
        missing = [n for n in missing if n in real]
    if missing:
        raise StageError("gradients", f"{len(missing)} parameters got no gradient after pruning: "
                         + ", ".join(missing[:5]))


def _check_parameter_count(ctx: Context, ref: Reference, model: nn.Module, require_fewer_params: bool) -> None:
    count = sum(p.numel() for p in model.parameters())
    if require_fewer_params and count > ref.params:
        ties = broken_ties(model, ctx.ties)
        raise StageError("parameter count", f"{ref.params} parameters before and {count} after: pruning added "
                         "parameters" + (" by breaking weight ties" if ties else ""), detail=ties[:3])
    if require_fewer_params and count == ref.params:
        raise StageError("parameter count", f"{ref.params} parameters before and {count} after: nothing was pruned")


def check_round_trip(ctx: Context, model: nn.Module, expected: List[torch.Tensor]) -> None:
    try:
        state = without_readonly_properties(model, tp.state_dict(model))
        # Through bytes, as a saved file would go: loaded in the same process, Torch-Pruning's
        # state dict hands the pruned model's own module objects to the fresh one, so the
        # reload would prove nothing.
        # (pickled, as torch.save pickles: an attribute that cannot be saved fails here too)
        state = through_bytes(state)
        fresh = sharing_copy(ctx.ref)
        tp.load_state_dict(fresh, state_dict=state)
        fresh.eval()
        with torch.no_grad():
            got = tensors_of(ctx.forward(fresh, ctx.fresh_inputs()))
    except Exception as exc:  # noqa: BLE001
        raise StageError("state-dict round trip", one_line(exc)) from None
    if len(got) != len(expected):
        raise StageError("state-dict round trip", f"reloaded model gives {len(got)} outputs, pruned model {len(expected)}")
    for i, (a, b) in enumerate(zip(got, expected)):
        if a.shape != b.shape:
            raise StageError("state-dict round trip", f"output {i}: reloaded {tuple(a.shape)} vs pruned {tuple(b.shape)}")
        if a.is_floating_point() and not torch.allclose(a.float(), b.float(), atol=ctx.atol, rtol=1e-3,
                                                        equal_nan=True):
            diff = (a.float() - b.float()).abs().max().item()
            if math.isnan(diff) or math.isinf(diff):
                bad = non_finite_tensors(model)
                raise StageError("non-finite values",
                                 f"output {i} holds NaN/Inf" + (f"; so do the weights {', '.join(bad[:3])}" if bad else ""))
            raise StageError("state-dict round trip", f"output {i} differs after reload (max abs diff {diff:.3g})")


def without_readonly_properties(model: nn.Module, state: Dict[str, Any]) -> Dict[str, Any]:
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


def through_bytes(state: Any) -> Any:
    """`pickle.loads(pickle.dumps(state))`, with the tensors (and parameters) put beside the bytes
    and deep-copied, as torch.save puts storages beside its pickle: pickling a tensor's storage
    runs a whole torch.save of it, two thirds of a round trip on a ResNet. Everything else goes
    through the bytes; the copies share nothing with `state`."""
    aside: List[torch.Tensor] = []

    def put_aside(tensor: torch.Tensor) -> Any:
        aside.append(tensor)
        return _tensor_aside, (len(aside) - 1,)

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()  # type: ignore[attr-defined]
    pickler.dispatch_table[torch.Tensor] = put_aside  # type: ignore[attr-defined]
    pickler.dispatch_table[nn.Parameter] = put_aside  # type: ignore[attr-defined]
    pickler.dump(state)
    buffer.seek(0)
    return _AsideUnpickler(buffer, deep_copy_tensors(aside)).load()


def _tensor_aside(index: int) -> torch.Tensor:
    raise pickle.UnpicklingError("a tensor put aside by through_bytes, loadable only by it")


class _AsideUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, tensors: List[torch.Tensor]) -> None:
        super().__init__(file)
        self.tensors = tensors

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == (__name__, _tensor_aside.__name__):
            return self.tensors.__getitem__
        return super().find_class(module, name)
