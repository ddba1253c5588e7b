"""The caller's model, grad mode and RNG are untouched; devices, markers, xdist, no-torch."""
import random
import signal
import sys
import warnings

import pytest
import torch

import prune_models as pm
from pytest_prune import PruneCheckFailure, build_dependency_graph, check_prunable
from pytest_prune.deadline import time_limit
from pytest_prune.probes import parse_probes
from pytest_prune.sizes import declared_size_mismatches

X = torch.randn(2, 3, 8, 8)


def _trained_model() -> torch.nn.Module:
    model = pm.ResidualNet()
    model.train()
    model(torch.randn(4, 3, 8, 8))  # moves BatchNorm running stats away from their init values
    model.bn1.eval()  # mixed modes must survive too
    return model


def test_original_model_untouched() -> None:
    model = _trained_model()
    model(torch.randn(4, 3, 8, 8)).sum().backward()
    model.stem.weight.requires_grad_(False)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    modes = {n: m.training for n, m in model.named_modules()}
    grads = {n: (p.requires_grad, None if p.grad is None else p.grad.clone()) for n, p in model.named_parameters()}
    inputs = {"x": torch.randn(2, 3, 8, 8, requires_grad=True)}
    x = inputs["x"].detach().clone()
    report = check_prunable(model, inputs)
    assert report.model is not model
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k]), k
    assert {n: m.training for n, m in model.named_modules()} == modes
    assert model.bn0.num_batches_tracked.item() == 2
    assert all(p.device.type == "cpu" for p in model.parameters())
    for n, p in model.named_parameters():
        requires_grad, grad = grads[n]
        assert p.requires_grad == requires_grad, n
        assert (p.grad is None) == (grad is None) and (grad is None or torch.equal(p.grad, grad)), n
    assert list(inputs) == ["x"] and torch.equal(inputs["x"], x) and inputs["x"].grad is None


class _RaisesOncePruned(torch.nn.Module):
    """Runs unpruned, raises inside forward once its channels were pruned."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(16)
        self.fc = torch.nn.Linear(16, 2)

    def forward(self, x):
        h = self.bn(self.conv(x))
        if h.shape[1] != 16:
            raise ValueError("forward saw pruned channels")
        return self.fc(h.mean((2, 3)))


def _global_state():
    return (torch.is_grad_enabled(), torch.is_inference_mode_enabled(), torch.get_rng_state(), random.getstate(),
            torch.get_default_dtype(), list(warnings.filters), signal.getsignal(signal.SIGALRM),
            signal.getitimer(signal.ITIMER_REAL))


def _same_global_state(a, b) -> bool:
    return all(torch.equal(x, y) if isinstance(x, torch.Tensor) else x == y for x, y in zip(a, b))


@pytest.mark.parametrize("seconds", [None, 60])
def test_model_raising_in_forward_changes_nothing(seconds) -> None:
    model = _RaisesOncePruned().train()
    model(torch.randn(4, 3, 8, 8)).sum().backward()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    x = torch.randn(2, 3, 8, 8)
    x_before = x.clone()
    before = _global_state()
    with pytest.raises(PruneCheckFailure, match="forward saw pruned channels"):
        check_prunable(model, (x,), time_limit_s=seconds)
    assert _same_global_state(before, _global_state())
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert all(torch.equal(p.grad, grads[n]) for n, p in model.named_parameters())
    assert model.training and model.bn.training and torch.equal(x, x_before)
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_time_limit_restores_the_alarm_and_respects_other_timers() -> None:
    def mine(signum, frame):  # pragma: no cover - never fires
        raise AssertionError("the caller's handler ran")

    previous = signal.signal(signal.SIGALRM, mine)
    try:
        with time_limit(30, ["testing"]):
            assert signal.getsignal(signal.SIGALRM) is not mine
            assert signal.getitimer(signal.ITIMER_REAL)[0] > 0
        assert signal.getsignal(signal.SIGALRM) is mine
        assert signal.getitimer(signal.ITIMER_REAL)[0] == 0
        signal.setitimer(signal.ITIMER_REAL, 100)  # someone else's timer (pytest-timeout): left alone
        with time_limit(1, ["testing"]):
            assert signal.getsignal(signal.SIGALRM) is mine
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_dependency_graph_leaves_no_hooks_when_forward_raises() -> None:
    model = _RaisesOncePruned().train()
    model.forward = lambda x: (_ for _ in ()).throw(ValueError("boom"))  # type: ignore[method-assign]
    hooks = {n: dict(m._forward_hooks) for n, m in model.named_modules()}
    with pytest.raises(ValueError, match="boom"):
        build_dependency_graph(model, X)
    assert {n: dict(m._forward_hooks) for n, m in model.named_modules()} == hooks
    assert model.training and model.bn.training


def test_rng_restored_and_verdict_stable() -> None:
    torch.manual_seed(123)
    model = pm.ResidualNet()
    before = torch.get_rng_state()
    first = check_prunable(model, X)
    assert torch.equal(before, torch.get_rng_state())
    check_prunable(pm.ConcatNet(), X)
    torch.manual_seed(123)
    second = check_prunable(pm.ResidualNet(), X)
    assert [(g.root, g.root_after) for g in first.groups] == [(g.root, g.root_after) for g in second.groups]


def test_rng_state_not_consumed() -> None:
    torch.manual_seed(7)
    state = torch.get_rng_state()
    model = pm.ConcatNet()
    torch.set_rng_state(state)
    py_state = random.getstate()
    cuda_seeds = getattr(getattr(torch.cuda, "_lazy_seed_tracker", None), "get_calls", list)()
    check_prunable(model, X)
    assert torch.equal(torch.get_rng_state(), state)
    assert random.getstate() == py_state
    # No seed left queued for CUDA generators that are not initialised yet.
    assert getattr(getattr(torch.cuda, "_lazy_seed_tracker", None), "get_calls", list)() == cuda_seeds


def test_under_no_grad_and_mode_restored() -> None:
    with torch.no_grad():
        report = check_prunable(pm.ResidualNet(), X)
        assert not torch.is_grad_enabled()
    assert report.params_after < report.params_before


def test_inside_inference_mode_with_inference_tensors() -> None:
    with torch.inference_mode():
        model = pm.ResidualNet()  # parameters are inference tensors here
        x = torch.randn(2, 3, 8, 8)
        report = check_prunable(model, x)
        assert torch.is_inference_mode_enabled()
        assert model.conv1.weight.is_inference()
    assert report.params_after < report.params_before


def test_report_table() -> None:
    report = check_prunable(pm.ResidualNet(), X, probes=1)
    text = str(report)
    assert text.splitlines()[0] == "PruneReport for ResidualNet on cpu (pruning_ratio=0.5)"
    assert "probes : importance, random:0" in text
    assert "group root" in text and "conv2" in text
    assert report.macs_after < report.macs_before
    assert set(report.probe_seconds) == {"importance", "random:0"}


def test_probe_spec() -> None:
    assert [p.name for p in parse_probes(2)] == ["importance", "random:0", "random:1"]
    assert [p.name for p in parse_probes("importance,random:5")] == ["importance", "random:5"]
    with pytest.raises(ValueError, match="unknown probe"):
        parse_probes(["magnitude"])


def test_declared_size_mismatch_detected() -> None:
    conv = torch.nn.Conv2d(8, 8, 3, groups=2)
    conv.weight = torch.nn.Parameter(conv.weight[:6])
    problems = declared_size_mismatches(torch.nn.Sequential(conv))
    assert problems and "out_channels=8" in problems[0]


def test_reference_failure_is_reported() -> None:
    with pytest.raises(PruneCheckFailure, match="unpruned model's forward"):
        check_prunable(pm.ResidualNet(), torch.randn(2, 5, 8, 8))


NO_GRAD_AND_FIXTURES = '''
import pytest
import torch
import prune_models as pm

X = torch.randn(2, 3, 8, 8)

@torch.no_grad()
def test_under_no_grad_decorator(prune_check):
    report = prune_check(pm.ResidualNet(), X)
    assert not torch.is_grad_enabled()
    assert report.params_after < report.params_before

def test_inference_mode(prune_check):
    with torch.inference_mode():
        prune_check(pm.ResidualNet(), X)
        assert torch.is_inference_mode_enabled()

def test_dependency_graph(dependency_graph):
    model = pm.ResidualNet().train()
    with torch.no_grad():
        dg = dependency_graph(model, X)
    assert model.training and model.bn1.training
    roots = [g[0].dep.target.module for g in dg.get_all_groups()]
    assert model.conv2 in roots

def test_explicit_cuda_device(prune_check):
    prune_check(pm.ResidualNet(), X, device="cuda")

def test_device_fixture(prune_check, prune_device):
    report = prune_check(pm.ResidualNet(), X)
    assert report.device == prune_device
'''


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU path")
def test_fixtures_grad_modes_and_cuda_skip(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_modes=NO_GRAD_AND_FIXTURES)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=4, skipped=2)
    result.stdout.fnmatch_lines([
        "SKIPPED [[]1[]] test_modes.py:*: device 'cuda' unavailable: CUDA is not available on this machine",
        "SKIPPED [[]1[]] test_modes.py:*: device 'cuda' unavailable: CUDA is not available on this machine",
    ])
    only_cpu = pytester.runpytest("-p", "no:cacheprovider", "--prune-devices=cpu", "-k", "device_fixture")
    only_cpu.assert_outcomes(passed=1)


MARKERS = '''
import pytest
import torch
import prune_models as pm

pytestmark = pytest.mark.prune(pruning_ratio=0.25, probes=0)

def test_module_defaults(prune_check):
    report = prune_check(pm.ResidualNet(), torch.randn(2, 3, 8, 8))
    assert report.pruning_ratio == 0.25 and report.probes == ["importance"]
    assert report.model.conv2.out_channels == 24

@pytest.mark.prune(pruning_ratio=0.75)
def test_function_marker_wins(prune_check):
    report = prune_check(pm.ResidualNet(), torch.randn(2, 3, 8, 8))
    assert report.pruning_ratio == 0.75 and report.probes == ["importance"]

@pytest.mark.prune(pruning_ratio=0.75)
def test_call_argument_wins(prune_check):
    report = prune_check(pm.ResidualNet(), torch.randn(2, 3, 8, 8), pruning_ratio=0.5, probes=1)
    assert report.pruning_ratio == 0.5 and report.probes == ["importance", "random:0"]
'''


def test_marker_defaults(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_markers=MARKERS)
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=3)


XDIST = '''
import torch
import prune_models as pm

def test_one(prune_check):
    prune_check(pm.ResidualNet(), torch.randn(2, 3, 8, 8), probes=0)

def test_two(prune_check):
    prune_check(pm.HardcodedReshapeNet(), torch.randn(2, 3, 8, 8), probes=0)
'''


def test_summary_under_xdist(pytester: pytest.Pytester, models_path) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(test_dist=XDIST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*prune check summary*",
        "test_dist.py::test_one: ResidualNet on cpu  params * -> *  ok",
        "test_dist.py::test_two: HardcodedReshapeNet on cpu  probes 1  threads *  FAILED (forward)",
    ])


NO_TORCH_RUNNER = '''
import sys
# Simulate an environment without torch: any import of it raises ImportError.
sys.modules["torch"] = None
sys.modules["torch_pruning"] = None
import pytest
sys.exit(pytest.main(["-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:hypothesispytest", "test_user.py"]))
'''


def test_without_torch(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        run_without_torch=NO_TORCH_RUNNER,
        test_user="def test_plain():\n    assert True\n\ndef test_uses_fixture(prune_check):\n    pass\n",
    )
    result = pytester.run(sys.executable, "run_without_torch.py")
    result.stdout.fnmatch_lines([
        "*pytest_prune needs torch and torch-pruning*pip install prunelint[[]pytest[]]*",
        "*1 passed, 1 error*",
    ])


def test_a_mistyped_device_fails_instead_of_skipping(pytester) -> None:
    pytester.makepyfile(
        """
        import torch, torch.nn as nn

        def test_typo(prune_check):
            prune_check(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)), torch.randn(2, 4), device="cdua")

        def test_fixture(prune_device):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--prune-devices", "cdua")
    # In a fixture, pytest reports a failure as a setup error: the option itself is wrong.
    result.assert_outcomes(failed=1, errors=1)
    result.stdout.fnmatch_lines(["*prune_check: invalid option: device='cdua' is not a device name*"])
    result.stdout.fnmatch_lines(["*--prune-devices: device='cdua' is not a device name*"])
    assert "Traceback" not in result.stdout.str()
