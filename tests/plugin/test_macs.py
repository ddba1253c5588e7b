"""The check counts MACs inside forwards it runs anyway (pytest_prune/macs.py): the totals must
be Torch-Pruning's own `count_ops_and_params`, and the counting must leave nothing behind."""
import contextlib
import io

import pytest
import torch
import torch.nn as nn
import torch_pruning as tp

import prune_models as pm
import zoo
from pytest_prune import check_prunable
from pytest_prune.macs import counting_macs
from pytest_prune.modes import call_model

X = torch.randn(2, 3, 8, 8)


def _tp_macs(model: nn.Module, inputs) -> float:
    with contextlib.redirect_stdout(io.StringIO()):  # its batch counter prints for keyword inputs
        return tp.utils.count_ops_and_params(model, inputs)[0]


@pytest.mark.parametrize("name", ["resnet", "bert", "t5", "mobilenet_v2", "dict_outputs", "groupnorm"])
def test_report_macs_are_torch_prunings_count(name: str) -> None:
    entry = next(e for e in zoo.ZOO if e.name == name)
    model, inputs = entry.build()
    report = check_prunable(model, inputs)
    assert report.macs_before == _tp_macs(model, inputs)
    assert report.macs_after == _tp_macs(report.model, inputs)
    assert report.macs_after < report.macs_before


def test_counting_leaves_nothing_on_the_model() -> None:
    model = pm.ResidualNet().eval()
    expected = _tp_macs(model, X)
    model.conv1.__flops__ = 7  # someone else's counter (ptflops uses the same attribute)
    attrs = {name: dict(vars(m)) for name, m in model.named_modules()}
    with torch.no_grad(), counting_macs(model) as count:
        call_model(model, X)
    assert count.total == expected
    assert model.conv1.__flops__ == 7
    for name, m in model.named_modules():
        assert set(vars(m)) == set(attrs[name]), name
        assert not m._forward_hooks and not m._forward_pre_hooks


def test_a_layer_it_cannot_count_gives_none_and_the_forward_goes_on() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    with torch.no_grad(), counting_macs(model) as count:
        # A conv hook reads input[0].shape; a hook that fails must not break the forward.
        model[0].kernel_size = "broken"
        out = model(X)
    assert out.shape == (2, 4, 6, 6)
    assert count.total is None


def test_no_forward_counts_nothing() -> None:
    with counting_macs(pm.ResidualNet()) as count:
        pass
    assert count.total is None
