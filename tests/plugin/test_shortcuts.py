"""The check's shortcuts (no reference backward, MACs and round trip without cloning tensors,
tracing on the reference copy) must give the verdicts and numbers the long way gives."""
import pytest
import torch
import torch.nn as nn
import torch_pruning as tp

import prune_models as pm
from pytest_prune import PruneCheckFailure, check_prunable
from pytest_prune.context import reachable_parameters as _reachable_parameters
from pytest_prune.modes import call_model, tensors_of

X = torch.randn(2, 3, 8, 8)


class _NoGradient(torch.autograd.Function):
    """Reached by the autograd graph, yet gives its input no gradient."""

    @staticmethod
    def forward(ctx, a):
        return a.clone()

    @staticmethod
    def backward(ctx, grad):
        return None


class _NoBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        return a.clone()

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("this op has no backward")


class CutGradientNet(nn.Module):
    """stem gets no gradient before pruning; the check must not blame pruning for that."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.mid = nn.Conv2d(8, 16, 1)
        self.head = nn.Conv2d(16, 4, 1)

    def forward(self, x):
        return self.head(torch.relu(self.mid(_NoGradient.apply(self.stem(x)))))


class NoBackwardNet(CutGradientNet):
    def forward(self, x):
        return self.head(torch.relu(self.mid(_NoBackward.apply(self.stem(x)))))


class ParamOutputNet(nn.Module):
    """One output is a parameter itself (a leaf with no grad_fn)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.scale = nn.Parameter(torch.ones(3))

    def forward(self, x):
        return self.conv(x), self.scale


@pytest.mark.parametrize("make", [pm.ResidualNet, CutGradientNet, ParamOutputNet])
def test_reachable_parameters_match_a_real_backward(make) -> None:
    model = make()
    tensors = tensors_of(call_model(model, X))
    reached = _reachable_parameters(model, tensors)
    torch.stack([t.float().sum() for t in tensors if t.requires_grad]).sum().backward()
    got = [n for n, p in model.named_parameters() if p.grad is not None]
    if make is CutGradientNet:
        # The graph reaches stem, the backward does not: the over-approximation the check confirms.
        assert set(reached) - set(got) == {"stem.weight", "stem.bias"}
        assert set(got) <= set(reached)
    else:
        assert reached == got


def test_parameter_without_gradient_before_pruning_passes() -> None:
    report = check_prunable(CutGradientNet(), X)
    assert report.params_after < report.params_before


def test_backward_failing_unpruned_is_reported_as_such() -> None:
    with pytest.raises(PruneCheckFailure, match="unpruned model's forward/backward") as info:
        check_prunable(NoBackwardNet(), X)
    assert "this op has no backward" in str(info.value)


def test_report_macs_match_a_direct_count() -> None:
    model = pm.ResidualNet()
    report = check_prunable(model, X)
    assert report.macs_before == tp.utils.count_ops_and_params(model, X)[0]
    assert report.macs_after == tp.utils.count_ops_and_params(report.model, X)[0]




def test_round_trip_bytes_share_nothing_and_refuse_what_pickle_refuses() -> None:
    import threading

    from pytest_prune.verify import through_bytes

    layer = nn.Linear(3, 2)
    state = {"layer": layer, "weights": {"w": layer.weight, "b": layer.bias.detach()}, "n": 3}
    loaded = through_bytes(state)
    assert loaded["n"] == 3 and loaded["layer"] is not layer
    assert type(loaded["weights"]["w"]) is nn.Parameter and loaded["weights"]["w"] is not layer.weight
    assert loaded["layer"].weight is not layer.weight and torch.equal(loaded["layer"].weight, layer.weight)
    assert torch.equal(loaded["weights"]["b"], layer.bias)
    with pytest.raises(TypeError):
        through_bytes({"lock": threading.Lock()})


class _CountedBackward(torch.autograd.Function):
    """Identity that counts its backward calls, and raises in backward for widths it refuses."""

    calls = 0
    refuse_width = -1

    @staticmethod
    def forward(ctx, a):
        ctx.width = a.shape[1]
        return a.clone()

    @staticmethod
    def backward(ctx, grad):
        _CountedBackward.calls += 1
        if ctx.width == _CountedBackward.refuse_width:
            raise RuntimeError(f"no backward at width {ctx.width}")
        return grad


class _CountedNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.bn = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        h = _CountedBackward.apply(torch.relu(self.bn(self.conv(x))))
        return self.fc(h.mean((2, 3)))


def test_probes_of_the_same_shapes_share_one_backward(monkeypatch) -> None:
    monkeypatch.setattr(_CountedBackward, "calls", 0)
    report = check_prunable(_CountedNet(), X)
    assert len(report.probes) == 3
    assert _CountedBackward.calls == 1  # the reference needs none: its graph was traced


def test_a_backward_that_breaks_after_pruning_fails_every_probe(monkeypatch) -> None:
    monkeypatch.setattr(_CountedBackward, "refuse_width", 8)  # 16 channels pruned to 8
    with pytest.raises(PruneCheckFailure) as info:
        check_prunable(_CountedNet(), X)
    failure = info.value
    assert failure.diagnosis.stage == "backward" and "no backward at width 8" in str(failure)
    assert [verdict for _, verdict in failure.probe_verdicts] == ["FAILED (backward)"] * 3
