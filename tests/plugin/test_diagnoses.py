"""Diagnoses name the cause (issue 16): every hint is checked next to the error it explains."""
from __future__ import annotations

import pytest

pytest.importorskip("transformers")

INNER = '''
import torch
import zoo
import prune_models as pm


def test_gpt2(prune_check):
    zoo.check(prune_check, "gpt2")

def test_swin(prune_check):
    zoo.check(prune_check, "swin")

def test_lstm(prune_check):
    zoo.check(prune_check, "lstm")

def test_stored_width(prune_check):
    zoo.check(prune_check, "stored_width")

def test_nan(prune_check):
    model, x = zoo.BY_NAME["residual"].build()
    with torch.no_grad():
        model.conv1.weight[0, 0, 0, 0] = float("nan")
    prune_check(model, x)

def test_meta(prune_check):
    with torch.device("meta"):
        model = zoo.Residual()
    prune_check(model, torch.randn(2, 3, 8, 8))
'''


def _section(out: str, test: str) -> str:
    """The test's own failure report: up to the next report, or to the short summary, whose
    lines pytest prints in full under CI=true (they would repeat other tests' messages)."""
    section = out.split(f"_ {test} _")[1].split("\n_")[0]
    return section.split("short test summary info")[0]


def test_each_hint_next_to_its_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:logging")
    result.assert_outcomes(failed=6)
    out = result.stdout.str()

    gpt2 = _section(out, "test_gpt2")
    assert "error      : 15840 parameters before and 15840 after: nothing was pruned" in gpt2
    assert ("hint       : Torch-Pruning has no pruner for transformers' Conv1D (4 layers: transformer.h.0.attn.c_attn"
            in gpt2)
    assert "customized_pruners" in gpt2 and "nn.Linear" in gpt2
    assert "were pruned" not in gpt2 and "unwrapped_parameters" not in gpt2  # nothing was pruned

    swin = _section(out, "test_swin")
    assert "error      : RuntimeError: Given normalized_shape=[48], expected input with shape [*, 48]" in swin
    assert "downsample.norm is 4x as wide as" in swin and "lost 16 channels, not 4 x 8" in swin
    for coincidence in ("num_patches", "window_area", "num_features", "pass num_heads", "hard-coded"):
        assert coincidence not in swin, coincidence

    lstm = _section(out, "test_lstm")
    assert "error      : IndexError: index out of range in self" in lstm
    assert "detail     : Torch-Pruning raised while applying LSTMPruner.prune_out_channels to lstm" in lstm

    width = _section(out, "test_stored_width")
    assert "hint       : StoredWidth.width = 32 is a width stored in a plain attribute" in width

    nan = _section(out, "test_nan")
    assert "what broke : non-finite weights" in nan and "(conv1.weight)" in nan
    assert "state-dict round trip" not in nan

    meta = _section(out, "test_meta")
    assert "what broke : meta tensors" in meta and "to_empty" in meta
    assert "locks, open files" not in meta
    assert "Traceback" not in out


SUGGEST = '''
import pytest
import torch
import prune_models as pm
import zoo

X = torch.randn(2, 3, 8, 8)

@pytest.mark.prune(verify_suggestions=True)
def test_two_stage(prune_check):
    prune_check(pm.TwoStageStoredWidth(), X)

def test_two_stage_applied(prune_check):
    report = prune_check(pm.TwoStageStoredWidth(), X, ignored_layers=["conv"])
    assert report.params_after < report.params_before

@pytest.mark.prune(verify_suggestions=True)
def test_single_group(prune_check):
    model, x = zoo.BY_NAME["hardcoded_reshape"].build()
    prune_check(model, x)

def test_not_verified_by_default(prune_check):
    prune_check(pm.TwoStageStoredWidth(), X)
'''


def test_suggestions_are_verified(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=SUGGEST)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=3)
    out = result.stdout.str()
    two = _section(out, "test_two_stage")
    assert "hint       : to keep this group unpruned: ignored_layers=[model.conv]" in two
    assert "suggestion : verified: with ignored_layers=[model.conv] the model prunes, params 5.4k -> 2.9k" in two
    # the same numbers as the test that applies the setting itself
    assert "test_two_stage_applied: TwoStageStoredWidth on cpu  params 5.4k -> 2.9k" in out
    single = _section(out, "test_single_group")
    assert ("suggestion : not enough: with ignored_layers=[model.conv] it still fails (parameter count: "
            in single)
    assert "suggestion" not in _section(out, "test_not_verified_by_default")


THREADS = '''
import torch
import prune_models as pm

def test_threads(prune_check):
    torch.set_num_threads(2)
    report = prune_check(pm.ResidualNet(), torch.randn(2, 3, 8, 8))
    assert report.threads == 1 and "1 torch thread" in str(report)
    assert torch.get_num_threads() == 2  # the user's setting is back
'''


@pytest.mark.parametrize("how", ["option", "ini"])
def test_prune_threads(pytester: pytest.Pytester, models_path, how: str) -> None:
    pytester.makepyfile(test_inner=THREADS)
    if how == "ini":
        pytester.makeini("[pytest]\nprune_threads = 1\n")
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    else:
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--prune-threads", "1")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_inner.py::test_threads: ResidualNet on cpu  params * probes 3  threads 1  ok"])


def test_prune_threads_must_be_positive(pytester: pytest.Pytester, models_path) -> None:
    pytester.makepyfile(test_inner=THREADS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--prune-threads", "zero")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--prune-threads / prune_threads: expected a positive int, got 'zero'*"])


APPLIED = '''
import pytest
import zoo

# The settings docs/plugin/compatibility.md lists as "verified" for zoo models, applied by hand.
@pytest.mark.parametrize("name, ignored", [
    ("swin", ["swin.encoder.layers.0.blocks.0.mlp.fc2"]),
    ("whisper", ["model.encoder.layers.0.fc2"]),
    ("concat_grouped", ["a"]),
])
def test_applied(prune_check, name, ignored):
    entry = zoo.BY_NAME[name]
    model, inputs = entry.build()
    report = prune_check(model, inputs, ignored_layers=ignored, **entry.check_options())
    assert report.params_after < report.params_before

@pytest.mark.parametrize("name", ["swin", "whisper", "concat_grouped"])
def test_unapplied(prune_check, name):
    entry = zoo.BY_NAME[name]
    model, inputs = entry.build()
    prune_check(model, inputs, **entry.check_options())
'''


def test_verified_zoo_suggestions_pass_when_applied(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=APPLIED)
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:logging")
    result.assert_outcomes(passed=3, failed=3)  # without the setting each of them fails
    result.stdout.fnmatch_lines(["*test_applied*swin*params 13.6k -> 6.8k*ok",
                                 "*test_applied*whisper*params 28.1k -> 12.8k*ok  ties broken 1: *"])
