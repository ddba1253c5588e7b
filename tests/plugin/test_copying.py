"""pytest_prune/copying.py must make the copies copy.deepcopy makes: the same object graph
(shared submodules and tied weights stay shared), nothing shared with the original, and each
class's own copy protocol respected."""
import copy

import pytest
import torch
import torch.nn as nn
from torch.nn.utils import parametrize

import prune_models as pm
import zoo
from pytest_prune.copying import deep_copy


def _graph(model: nn.Module):
    """Everything a copy must reproduce, with identities replaced by first-seen positions."""
    ids: dict = {}

    def ident(obj) -> int:
        return ids.setdefault(id(obj), len(ids))

    rows = []
    for name, m in model.named_modules(remove_duplicate=False):
        # Plain attribute values (object addresses, as in weakrefs, differ between any two copies).
        attrs = sorted((k, repr(v)) for k, v in vars(m).items()
                       if not isinstance(v, (dict, set, nn.Module, torch.Tensor)) and " at 0x" not in repr(v))
        rows.append((name, type(m).__name__, ident(m), m.training, attrs))
    for name, t in list(model.named_parameters(remove_duplicate=False)) + list(model.named_buffers(remove_duplicate=False)):
        rows.append((name, type(t).__name__, ident(t), tuple(t.shape), t.dtype, t.requires_grad, t.detach().clone()))
    return rows


def _same(a, b) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        for u, v in zip(x, y):
            if isinstance(u, torch.Tensor):
                if not torch.equal(u, v):
                    return False
            elif u != v:
                return False
    return True


@pytest.mark.parametrize("name", ["bert", "t5", "resnet", "mobilenet_v2", "residual", "tied_embeddings", "lstm"])
def test_the_copy_is_the_one_deepcopy_makes(name: str) -> None:
    model, _ = next(e for e in zoo.ZOO if e.name == name).build()
    ours, theirs = deep_copy(model), copy.deepcopy(model)
    assert _same(_graph(ours), _graph(theirs))
    originals = {id(t) for t in list(model.parameters()) + list(model.buffers())} | {id(m) for m in model.modules()}
    copied = {id(t) for t in list(ours.parameters()) + list(ours.buffers())} | {id(m) for m in ours.modules()}
    assert not originals & copied


def test_shared_modules_and_tied_weights_stay_shared() -> None:
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    model.head = nn.Linear(4, 4)
    model.head.weight = model[0].weight
    model.alias = shared  # an attribute naming a submodule
    clone = deep_copy(model)
    assert clone[0] is clone[2] and clone.head.weight is clone[0].weight
    assert clone[0] is not shared


class _OwnCopy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.copies = 0

    def __deepcopy__(self, memo):
        clone = _OwnCopy()
        clone.copies = self.copies + 1
        return clone


def test_a_class_with_its_own_protocol_is_copied_by_it() -> None:
    model = nn.Sequential(_OwnCopy(), nn.Linear(2, 2))
    assert deep_copy(model)[0].copies == 1


def test_parametrized_modules_are_copied_as_deepcopy_copies_them() -> None:
    class Symmetric(nn.Module):
        def forward(self, w):
            return w.triu() + w.triu(1).T

    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    parametrize.register_parametrization(model[0], "weight", Symmetric())
    clone = deep_copy(model)
    x = torch.randn(2, 3)
    assert torch.equal(clone(x), model(x))
    assert parametrize.is_parametrized(clone[0])


def test_a_memo_of_tensors_makes_a_copy_that_shares_them() -> None:
    model = pm.ResidualNet()
    memo = {id(t): t for t in list(model.parameters()) + list(model.buffers())}
    clone = deep_copy(model, memo)
    assert all(a is b for a, b in zip(clone.parameters(), model.parameters()))
    assert all(a is not b for a, b in zip(clone.modules(), model.modules()))


def test_buffers_that_view_one_storage_still_do() -> None:
    model = nn.BatchNorm1d(4)
    base = torch.arange(8.0)
    model.register_buffer("low", base[:4])
    model.register_buffer("high", base[4:])
    clone = deep_copy(model)
    assert clone.low.untyped_storage().data_ptr() == clone.high.untyped_storage().data_ptr()
    assert clone.low.untyped_storage().data_ptr() != base.untyped_storage().data_ptr()
    assert torch.equal(clone.high, base[4:]) and clone.high.storage_offset() == 4
    clone.low.add_(1)
    assert torch.equal(model.low, base[:4])
