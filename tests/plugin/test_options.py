"""Options, model and inputs are checked before anything is pruned: a typo reads as a typo."""
from __future__ import annotations

import pytest
import torch

from pytest_prune import InvalidOption, check_prunable

BAD_CALLS = '''
import itertools
import threading
import torch
import prune_models as pm

X = torch.randn(2, 3, 8, 8)

def test_misspelled(prune_check):
    prune_check(pm.ResidualNet(), X, pruning_ration=0.5)

def test_generator(prune_check):
    prune_check(pm.ResidualNet(), (t for t in [X]))

def test_function_as_model(prune_check):
    prune_check(pm.tiny_bert, X)

def test_uncopyable_input(prune_check):
    class Holder:
        def __init__(self):
            self.lock = threading.Lock()
    prune_check(pm.ResidualNet(), (X, Holder()))

def test_unknown_pruner_keyword(prune_check):
    prune_check(pm.ResidualNet(), X, global_prunning=True)

def test_ratio_out_of_range(prune_check):
    prune_check(pm.ResidualNet(), X, pruning_ratio=1.5)
'''


def test_bad_options_fail_before_pruning(pytester: pytest.Pytester, models_path) -> None:
    pytester.makepyfile(test_bad=BAD_CALLS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=6)
    result.stdout.fnmatch_lines([
        "*prune_check: invalid option: unknown keyword 'pruning_ration'; did you mean 'pruning_ratio'?",
    ])
    result.stdout.fnmatch_lines(["*invalid option: example_inputs is a generator: it can be read only once*"])
    result.stdout.fnmatch_lines(["*invalid option: model must be a torch.nn.Module instance, got the function "
                                 "'tiny_bert': pass tiny_bert() (an instance), not tiny_bert"])
    result.stdout.fnmatch_lines(["*invalid option: example_inputs[[]1[]] (Holder) cannot be copied (TypeError:*"])
    result.stdout.fnmatch_lines(["*unknown keyword 'global_prunning'; did you mean 'global_pruning'?"])
    result.stdout.fnmatch_lines(["*pruning_ratio=1.5: expected a number in [[]0, 1)"])
    out = result.stdout.str()
    assert "cannot be pruned consistently" not in out
    assert "Traceback" not in out and "pytest_prune/" not in out


def test_validation_comes_before_any_copy_or_pruning(monkeypatch: pytest.MonkeyPatch) -> None:
    import pytest_prune.check as entry

    def boom(*args, **kwargs):  # pragma: no cover - must not run
        raise AssertionError("a model was copied or pruned before the options were checked")

    monkeypatch.setattr(entry, "make_context", boom)
    monkeypatch.setattr(entry, "fingerprint", boom)
    with pytest.raises(InvalidOption, match="did you mean 'probes'"):
        check_prunable(torch.nn.Linear(4, 4), torch.randn(2, 4), probe=3)
    with pytest.raises(InvalidOption, match="got a str"):
        check_prunable("resnet18", torch.randn(2, 4))


def test_pruner_subclass_keywords_are_accepted() -> None:
    import torch_pruning as tp

    from pytest_prune.options import check_keywords

    check_keywords(tp.pruner.GroupNormPruner, {"reg": 1e-4, "alpha": 2, "round_to": 4})
    with pytest.raises(InvalidOption, match="did you mean 'alpha'"):
        check_keywords(tp.pruner.GroupNormPruner, {"alpah": 2})
    with pytest.raises(InvalidOption, match="given twice"):
        check_keywords(tp.pruner.BasePruner, {"model": None})
