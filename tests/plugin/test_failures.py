"""Models that cannot be pruned must fail as pytest failures with a diagnosis, not a traceback."""
import re

import pytest

FAILING = '''
import torch
import prune_models as pm

X = torch.randn(2, 3, 8, 8)

def test_hardcoded_reshape(prune_check):
    prune_check(pm.HardcodedReshapeNet(), X)

def test_width_attribute(prune_check):
    prune_check(pm.WidthAttributeNet(), X)
'''


def test_hardcoded_shapes_fail_with_diagnosis(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bad=FAILING)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "*HardcodedReshapeNet cannot be pruned consistently (device cpu, pruning_ratio=0.5)",
        "*what broke : forward",
        "*probe      : importance",
        "*error      : RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x4096 and 2048x10)",
        "*group      : root conv (Conv2d) out 64->32",
        "*member fc (Linear) in 4096->2048",
        "*hint       : a size is hard-coded in forward*",
        "*hint       : to keep this group unpruned: ignored_layers=[[]model.conv[]]",
    ])
    result.stdout.fnmatch_lines([
        "*WidthAttributeNet cannot be pruned consistently*",
        "*hint       : WidthAttributeNet.width = 32 is a width stored in a plain attribute*",
    ])
    out = result.stdout.str()
    assert "Traceback" not in out and "torch_pruning/" not in out
    assert re.search(r"test_bad.py::test_width_attribute: WidthAttributeNet on cpu  probes 3  threads \d+  "
                     r"FAILED \(forward\)", out)
    failure_section = out.split("FAILURES")[1].split("short test summary")[0]
    assert len(failure_section.splitlines()) < 40


CHANNEL_CHOICE = '''
import pytest
import torch
import prune_models as pm

X = torch.randn(2, 3, 8, 8)

def test_importance_only_passes(prune_check):
    # The magnitude ranking happens to pick channels Torch-Pruning maps correctly.
    prune_check(pm.ConcatGroupedNet(), X, probes=0)

def test_default_probes_fail(prune_check):
    prune_check(pm.ConcatGroupedNet(), X)

def test_fixed_by_ignoring_the_grouped_conv(prune_check):
    prune_check(pm.ConcatGroupedNet(), X, ignored_layers=["a", "b"])

def test_exhaustive(prune_check):
    report = prune_check(pm.ConcatGroupedNet(), X, probes=0, exhaustive=True)
    assert report.probes == ["importance", "importance@grouped", "importance@a", "importance@b"]
'''


def test_concat_into_grouped_conv_depends_on_channel_choice(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_choice=CHANNEL_CHOICE)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "*ConcatGroupedNet cannot be pruned consistently*",
        "*what broke : pruning a group (Torch-Pruning raised)",
        "*probe      : random:0",
        "*error      : RuntimeError: INDICES element is out of DATA bounds*",
        "*group      : root a (Conv2d) out 8->?",
        "*member grouped (Conv2d) in 12->?",
        "*hint       : this depends on which channels are removed*",
        "*hint       : Torch-Pruning 1.6 maps channels through torch.cat into grouped convolution grouped unevenly*",
        "*probes     : importance=ok, random:0=FAILED (pruning a group (Torch-Pruning raised)), random:1=ok",
    ])
    assert "During handling" not in result.stdout.str()


def test_verdict_is_deterministic() -> None:
    import prune_models as pm
    import torch

    from pytest_prune import PruneCheckFailure, check_prunable

    messages = []
    for _ in range(2):
        torch.manual_seed(0)
        model = pm.ConcatGroupedNet()
        with pytest.raises(PruneCheckFailure) as info:
            check_prunable(model, torch.randn(2, 3, 8, 8))
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert info.value.stage.startswith("pruning a group") and info.value.probe == "random:0"


USAGE = '''
import threading
import torch
import prune_models as pm

X = torch.randn(2, 3, 8, 8)

def test_ignored_layer_typo(prune_check):
    prune_check(pm.ResidualNet(), X, ignored_layers=["fcc"])

def test_unknown_probe(prune_check):
    prune_check(pm.ResidualNet(), X, probes="magnitude")

class Locked(pm.ResidualNet):
    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()

def test_model_without_deepcopy(prune_check):
    prune_check(Locked(), X)

def test_exhaustive_prunes_output_groups_when_asked(prune_check):
    prune_check(pm.ResidualNet(), X, probes=0, keep_output_shapes=False, exhaustive=True)

def test_dependency_graph_of_a_broken_model(dependency_graph):
    dependency_graph(pm.ResidualNet(), torch.randn(2, 5, 8, 8))
'''


def test_usage_errors_are_readable_failures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_usage=USAGE)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=5)
    result.stdout.fnmatch_lines([
        "prune_check: invalid option: ignored_layers: ResidualNet has no attribute `fcc`",
        "prune_check: invalid option: probes='magnitude': unknown probe 'magnitude'*",
        "Locked cannot be pruned consistently*",
        "*what broke : copying the model",
        "*error      : TypeError: cannot pickle '_thread.lock' object",
        "*probes     : importance=FAILED (output shape), importance@conv2=ok, importance@conv1=ok, "
        "importance@fc=FAILED (output shape)",
        "Torch-Pruning could not build the dependency graph of ResidualNet",
        "*error      : RuntimeError: *expected input*to have 3 channels*",
    ])
    out = result.stdout.str()
    assert "Traceback" not in out and "pytest_prune/" not in out and "copy.py" not in out


def test_round_trip_goes_through_bytes() -> None:
    """A pruned model that cannot be saved fails at the round trip, as `torch.save` would for
    the user; reloaded in memory only, Torch-Pruning hands back the same module objects."""
    import torch
    import torch.nn as nn

    from pytest_prune import PruneCheckFailure, check_prunable

    class LambdaAttributeNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
            self.conv2 = nn.Conv2d(16, 8, 3, padding=1)
            self.act = lambda t: t.relu()  # a public attribute: tp.state_dict records it

        def forward(self, x):
            return self.conv2(self.act(self.conv1(x)))

    with pytest.raises(PruneCheckFailure) as info:
        check_prunable(LambdaAttributeNet(), torch.randn(2, 3, 8, 8))
    assert info.value.stage == "state-dict round trip"
    assert "pickle" in str(info.value)
