"""Nothing leaks out of a check: the user's model and the process are as before when the check
passes, fails, or the model raises in forward; Torch-Pruning's shared pruners are put back; the
verdicts do not depend on test order or on xdist; a model that cannot be traced fails clearly."""
from __future__ import annotations

import random
import re

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch_pruning as tp
from torch_pruning.pruner import function
from torch_pruning.utils import op_counter

import prune_models as pm
from pytest_prune import PruneCheckFailure, check_prunable

X = torch.randn(2, 3, 8, 8)


class RaisesWhenPruned(nn.Module):
    """Runs as built; raises inside forward once a probe pruned its channels."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.bn = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16, 2)

    def forward(self, x):
        h = self.bn(self.conv(x))
        if h.shape[1] != 16:
            raise RuntimeError("pruned channels reached forward")
        return self.fc(h.mean((2, 3)))


def _prepared(kind: str) -> nn.Module:
    """A model in a lived-in state: trained buffers, mixed modes, a frozen parameter."""
    model = {"passes": pm.ResidualNet, "fails": pm.HardcodedReshapeNet, "raises": RaisesWhenPruned}[kind]()
    model.train()
    with torch.no_grad():
        model(torch.randn(4, 3, 8, 8))  # BatchNorm running stats move
    first = next(model.parameters())
    first.requires_grad_(False)
    children = list(model.children())
    children[-1].eval()
    return model


def _model_state(model: nn.Module):
    tensors = {
        name: (t.detach().clone(), t.shape, t.dtype, t.device, t.requires_grad, t.is_inference())
        for name, t in [*model.named_parameters(), *model.named_buffers()]
    }
    return tensors, {n: m.training for n, m in model.named_modules()}


def _process_state():
    return (
        torch.is_grad_enabled(), torch.is_inference_mode_enabled(), torch.get_default_dtype(),
        torch.get_rng_state(), random.getstate(), np.random.get_state()[1].copy(),
        {k: (v, dict(vars(v))) for k, v in function.PrunerBox.items()}, dict(op_counter.CUSTOM_MODULES_MAPPING),
    )


def _assert_same(before, after) -> None:
    for a, b in zip(before, after):
        if isinstance(a, (torch.Tensor, np.ndarray)):
            assert (a == b).all()
        else:
            assert a == b


def _assert_model_same(before, after) -> None:
    (tensors_a, modes_a), (tensors_b, modes_b) = before, after
    assert modes_a == modes_b
    assert tensors_a.keys() == tensors_b.keys()
    for name, (value, *meta) in tensors_a.items():
        other, *other_meta = tensors_b[name]
        assert meta == other_meta, name
        assert torch.equal(value, other), name


AMBIENT = {
    "grad": torch.enable_grad,
    "no_grad": torch.no_grad,
    "inference_mode": torch.inference_mode,
}


@pytest.mark.parametrize("ambient", list(AMBIENT))
@pytest.mark.parametrize("kind", ["passes", "fails", "raises"])
def test_model_and_process_as_before(kind: str, ambient: str) -> None:
    model = _prepared(kind)
    torch.manual_seed(11)
    np.random.seed(11)
    with AMBIENT[ambient]():
        model_before, process_before = _model_state(model), _process_state()
        try:
            check_prunable(model, X)
            verdict = "passed"
        except PruneCheckFailure as failure:
            verdict = "failed"
            assert kind != "raises" or "pruned channels reached forward" in str(failure)
        _assert_model_same(model_before, _model_state(model))
        _assert_same(process_before, _process_state())
    assert verdict == ("passed" if kind == "passes" else "failed")


def test_torch_pruning_shared_pruners_are_put_back() -> None:
    """Pruning sets `pruning_dim` on the pruner objects every graph shares; without the reset a
    later direct call such as tp.prune_parameter_out_channels prunes another dimension."""

    def direct_call_shape() -> tuple[int, ...]:
        return tuple(tp.prune_parameter_out_channels(nn.Parameter(torch.ones(2, 4, 6)), [0]).shape)

    expected = direct_call_shape()
    saved = {k: dict(vars(v)) for k, v in function.PrunerBox.items()}
    model = pm.UnwrappedParamNet()
    check_prunable(model, X, unwrapped_parameters=[(model.scale, 1)], round_to=4)
    check_prunable(pm.ResidualNet(), X)
    assert {k: dict(vars(v)) for k, v in function.PrunerBox.items()} == saved
    assert direct_call_shape() == expected == (2, 4, 5)


class NeedsMask(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.fc = nn.Linear(8, 2)

    def forward(self, x, mask):
        return self.fc(self.conv(x).mean((2, 3)) * mask)


def test_forward_needs_an_argument_that_was_not_given() -> None:
    with pytest.raises(PruneCheckFailure, match="missing 1 required positional argument: 'mask'") as info:
        check_prunable(NeedsMask(), X)
    assert "check the model and example_inputs" in str(info.value)


def test_scripted_model_is_a_clear_failure() -> None:
    for scripted in (torch.jit.script(pm.ResidualNet()), torch.jit.trace(pm.ResidualNet().eval(), X)):
        with pytest.raises(PruneCheckFailure, match="a TorchScript module .* cannot be traced by Torch-Pruning"):
            check_prunable(scripted, X)


@pytest.mark.parametrize("wrap", ["compile", "data_parallel"])
def test_wrapped_model_passes_or_fails_clearly(wrap: str) -> None:
    """DataParallel (on CPU) forwards to the wrapped module, which Torch-Pruning traces and
    saves: the check passes. torch.compile's OptimizedModule traces too, but the pruned wrapper
    cannot be saved (its attributes do not pickle): a clear failure with the way out. What must
    never happen is a plugin error, or a change to the user's module."""
    inner = pm.ResidualNet()
    model = torch.compile(inner) if wrap == "compile" else nn.DataParallel(inner)
    before = _model_state(inner)
    if wrap == "compile":
        with pytest.raises(PruneCheckFailure) as info:
            check_prunable(model, X)
        assert info.value.stage == "state-dict round trip"
        assert "prune the raw module (model._orig_mod" in str(info.value)
    else:
        report = check_prunable(model, X)
        assert report.params_after < report.params_before
    _assert_model_same(before, _model_state(inner))


USER_TESTS = '''
import pytest
import torch
import torch.nn as nn
import torch_pruning as tp
import prune_models as pm

X = torch.randn(2, 3, 8, 8)


class NeedsMask(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x, mask):
        return self.conv(x) * mask


def test_a_residual(prune_check):
    prune_check(pm.ResidualNet(), X)

def test_b_reshape(prune_check):
    prune_check(pm.HardcodedReshapeNet(), X)

def test_c_unwrapped(prune_check):
    model = pm.UnwrappedParamNet()
    prune_check(model, X, unwrapped_parameters=[(model.scale, 1)], round_to=4)

def test_d_direct_tp_call():
    # Depends on Torch-Pruning's shared pruners being as the library made them.
    assert tuple(tp.prune_parameter_out_channels(nn.Parameter(torch.ones(2, 4, 6)), [0]).shape) == (2, 4, 5)

def test_e_rng_untouched(prune_check):
    model = pm.ConcatNet()
    torch.manual_seed(5)
    state = torch.get_rng_state()
    prune_check(model, X)
    assert torch.equal(torch.get_rng_state(), state)

def test_f_missing_argument(prune_check):
    prune_check(NeedsMask(), X)

def test_g_scripted(prune_check):
    prune_check(torch.jit.script(pm.ResidualNet()), X)

def test_h_grad_mode(prune_check):
    with torch.no_grad():
        prune_check(pm.ResidualNet(), X)
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()
'''

REVERSE = '''
def pytest_collection_modifyitems(items):
    items.reverse()
'''

EXPECTED = {
    "test_a_residual": "passed", "test_b_reshape": "failed", "test_c_unwrapped": "passed",
    "test_d_direct_tp_call": "passed", "test_e_rng_untouched": "passed", "test_f_missing_argument": "failed",
    "test_g_scripted": "failed", "test_h_grad_mode": "passed",
}


def _outcomes(result: pytest.RunResult) -> dict[str, str]:
    """From the `-rA` short summary: test name -> passed / failed / error."""
    found = {}
    for line in result.outlines:
        match = re.match(r"(PASSED|FAILED|ERROR) \S*::(test_\w+)", line)
        if match:
            found[match.group(2)] = match.group(1).lower()
    return found


def test_same_verdicts_in_any_order_and_under_xdist(pytester: pytest.Pytester, models_path) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    args = ("-p", "no:cacheprovider", "-p", "no:randomly", "-rA", "-v")
    forward = pytester.runpytest_subprocess(*args, "-p", "no:xdist")
    pytester.makeconftest(REVERSE)
    backward = pytester.runpytest_subprocess(*args, "-p", "no:xdist")
    parallel = pytester.runpytest_subprocess(*args, "-n", "2")
    for result in (forward, backward, parallel):
        text = "\n".join(result.outlines + result.errlines)
        assert "INTERNALERROR" not in text
        assert _outcomes(result) == EXPECTED, text[-3000:]
    order = [line for line in backward.outlines if re.match(r"test_user.py::test_\w+ (PASSED|FAILED)", line)]
    assert order and order[0].startswith("test_user.py::test_h_grad_mode"), order  # really reversed
    # The failures are the plugin's readable reports, never an internal error of the plugin.
    text = "\n".join(forward.outlines)
    assert "INTERNALERROR" not in text
    assert "missing 1 required positional argument: 'mask'" in text
    assert "a TorchScript module" in text
