"""The construction-site rules (PRL002, PRL101-PRL107): their API data against Torch-Pruning
itself, and what their messages tell the user."""

from __future__ import annotations

import inspect
import textwrap

import pytest

from prunelint.settings.apidata import load_api_data
from prunelint.settings.config import Settings
from prunelint.engine.run import LintOptions, finalize, lint_sources
from prunelint.plugins.registry import load_rules
from prunelint.io.source import Source

RULES = load_rules()


def lint(code: str, text: str) -> list:
    options = LintOptions(settings=Settings(), rules=RULES, codes=frozenset({code}), api=load_api_data())
    text = textwrap.dedent(text)
    source = Source("example.py", "/virtual/example.py", text)
    return finalize(lint_sources([source], options), options, {"example.py": text})


@pytest.mark.parametrize("cls", sorted(load_api_data().table("pruner_signatures")))
def test_positional_order_matches_torch_pruning(cls: str) -> None:
    """The data names positional arguments; it must be the installed library's order."""
    tp = pytest.importorskip("torch_pruning")
    actual = list(inspect.signature(getattr(tp.pruner, cls).__init__).parameters)[1:]
    listed = list(load_api_data().table("pruner_signatures")[cls])
    assert actual[: len(listed)] == listed


def test_head_and_ratio_keywords_exist_in_torch_pruning() -> None:
    tp = pytest.importorskip("torch_pruning")
    accepted = set(inspect.signature(tp.pruner.BasePruner.__init__).parameters)
    keywords = load_api_data().table("pruner_keywords")
    names = [keywords["ignored_layers"], keywords["num_heads"], keywords["prune_num_heads"]]
    names += keywords["ratio"] + keywords["ratio_dict"] + keywords["head_pruning_ratio"]
    assert set(names) <= accepted


def test_fourth_positional_is_named_per_class() -> None:
    found = lint(
        "PRL104",
        """
        import torch_pruning as tp
        a = tp.pruner.BasePruner(model, x, imp, 0.5)
        b = tp.pruner.BNScalePruner(model, x, imp, 1e-5, True, False)
        """,
    )
    assert [d.location.row for d in found] == [3, 4]
    assert "the 4th (`0.5`) binds `global_pruning`" in found[0].message
    assert "binds `reg`" in found[1].message and "the 6th (`False`) binds `global_pruning`" in found[1].message


@pytest.mark.parametrize(
    "ratio,phrase",
    [("50", "a percentage?"), ("1.0", "prunes nothing in torch-pruning 1.6.1"), ("0", "prunes nothing, silently")],
)
def test_ratio_message_says_what_happens(ratio: str, phrase: str) -> None:
    found = lint(
        "PRL103",
        f"""
        import torch_pruning as tp
        p = tp.pruner.BasePruner(model, x, importance=imp, pruning_ratio={ratio})
        """,
    )
    assert len(found) == 1 and phrase in found[0].message


def test_ignored_layers_message_names_the_bad_element() -> None:
    found = lint(
        "PRL101",
        """
        import torch_pruning as tp
        ignored = [model.layer4]
        ignored.extend([model.fc.bias])
        p = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers=ignored)
        """,
    )
    assert len(found) == 1
    assert "`model.fc.bias`, a parameter" in found[0].message and "`model.fc`" in found[0].message


def test_frozen_model_is_named_with_how_it_was_frozen() -> None:
    found = lint(
        "PRL002",
        """
        import torch_pruning as tp
        def prune(net, x):
            for _, w in net.named_parameters():
                w.requires_grad = False
            net = net.to("cuda").eval()
            return tp.pruner.BasePruner(net, x, importance=imp)
        """,
    )
    assert len(found) == 1 and found[0].location.row == 7
    assert "`net`" in found[0].message and "net.named_parameters()" in found[0].message


def test_unfreezing_any_parameter_is_enough_to_stay_silent() -> None:
    # `requires_grad = flag` might be True: the flow is unclear.
    assert not lint(
        "PRL002",
        """
        import torch_pruning as tp
        model.requires_grad_(False)
        for p in model.head.parameters():
            p.requires_grad = flag
        pruner = tp.pruner.BasePruner(model, x, importance=imp)
        """,
    )


def test_nothing_is_parsed_without_torch_pruning() -> None:
    for code in ("PRL002", "PRL101", "PRL102", "PRL103", "PRL104", "PRL106", "PRL107"):
        assert RULES.rules[code].PREFILTER_WORDS is not None
        assert "torch_pruning" in RULES.rules[code].PREFILTER_WORDS
