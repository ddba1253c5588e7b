"""Attention families, the after_prune hook, grouped-query attention, in-place inputs and
weight ties, through the prune_check fixture."""
from __future__ import annotations

import pytest

pytest.importorskip("transformers")

INNER = '''
import pytest
import torch
import torch.nn as nn
import zoo


def test_t5_heads_rewritten(prune_check):
    report = zoo.check(prune_check, "t5")
    attns = [m for m in report.model.modules() if type(m).__name__ == "T5Attention"]
    assert attns
    for a in attns:
        assert a.inner_dim == a.q.out_features == a.n_heads * a.key_value_proj_dim == a.o.in_features
        # heads kept whole: the relative-position bias has one column per head
        assert a.n_heads == 4
        if a.has_relative_attention_bias:
            assert a.relative_attention_bias.weight.shape[1] == 4
    assert report.model.config.d_kv == attns[0].key_value_proj_dim
    assert report.model.config.d_model == attns[0].q.in_features < 32  # the model width was pruned


def test_bart_heads_rewritten(prune_check):
    report = zoo.check(prune_check, "bart")
    a = report.model.model.encoder.layers[0].self_attn
    assert a.num_heads == 2 and a.q_proj.out_features == a.num_heads * a.head_dim == a.out_proj.in_features


def test_whisper_heads_found(prune_check):
    from pytest_prune import hf
    model, _ = zoo.whisper()
    found = hf.find_attention(model)
    assert len(found) == 3 and all(a.o is not None and a.proj_names[3] == "out_proj" for a in found)


class HeadsAttention(nn.Module):
    """A user's own attention: the head count lives in a plain attribute."""

    def __init__(self, dim=32, heads=4):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.o = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = (p(x).view(b, t, self.heads, self.head_dim).transpose(1, 2) for p in (self.q, self.k, self.v))
        y = torch.softmax(q @ k.transpose(-1, -2) / self.head_dim ** 0.5, -1) @ v
        return self.o(y.transpose(1, 2).reshape(b, t, self.heads * self.head_dim))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(6, 32)
        self.attn = HeadsAttention()
        self.fc = nn.Linear(32, 3)

    def forward(self, x):
        h = self.inp(x)
        return self.fc(h + self.attn(h))


def heads_options(model):
    a = model.attn
    return dict(num_heads={a.q: 4, a.k: 4, a.v: 4}, prune_num_heads=True, prune_head_dims=False,
                head_pruning_ratio=0.5)


X = torch.randn(2, 5, 6)


def test_own_attention_without_hook_fails(prune_check):
    torch.manual_seed(0)
    model = Encoder()
    prune_check(model, X, **heads_options(model))


def test_own_attention_with_hook_passes(prune_check):
    torch.manual_seed(0)
    model = Encoder()
    calls = []

    def after_prune(pruned, pruner):
        calls.append(pruned)
        pruned.attn.heads = pruner.num_heads[pruned.attn.q]

    report = prune_check(model, X, after_prune=after_prune, **heads_options(model))
    assert report.model.attn.heads == 2
    assert len({id(m) for m in calls}) == 3 and all(m is not model for m in calls)  # one copy per probe
    assert model.attn.heads == 4


def test_gqa_default_keeps_attention_whole(prune_check):
    report = zoo.check(prune_check, "llama_gqa")
    assert report.params_after < report.params_before
    attn = report.model.model.layers[0].self_attn
    assert attn.q_proj.out_features == 32 and attn.k_proj.out_features == 16
    assert report.model.model.layers[0].mlp.up_proj.out_features == 32
    print(report)


def test_gqa_heads_forced(prune_check):
    zoo.check(prune_check, "qwen2_gqa", gqa_keep_attention=False, time_limit_s=None)


def test_inplace_input(prune_check):
    model, x = zoo.BY_NAME["inplace_input"].build()
    before = x.clone()
    prune_check(model, x)
    assert torch.equal(x, before)


def test_tied(prune_check):
    report = zoo.check(prune_check, "t5")
    assert report.broken_ties and "lm_head.weight" in report.broken_ties[0]


def test_tied_custom(prune_check):
    zoo.check(prune_check, "tied_embeddings")
'''


def test_heads_hooks_gqa_inputs_ties(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=7, failed=3)
    out = result.stdout.str()
    result.stdout.fnmatch_lines([
        "*test_own_attention_without_hook_fails*",
        "*Encoder cannot be pruned consistently*",
        "*what broke : forward*",
    ])
    # GQA: the default keeps q/k/v/o whole and says why; forced head pruning stops on the
    # stalled grouping itself (no time limit was set), naming Torch-Pruning #527.
    result.stdout.fnmatch_lines(["*kept   : model.layers.0.self_attn.q_proj, *o_proj (grouped-query attention, "
                                 "Torch-Pruning #527)"])
    result.stdout.fnmatch_lines([
        "*Qwen2ForCausalLM cannot be pruned consistently*",
        "*what broke : grouping makes no progress*",
        "*error      : Torch-Pruning's grouping added * to one group 201 times without finishing",
        "*grouped-query attention (4 query heads, 2 key/value heads)*Torch-Pruning issue #527*docs/plugin/gqa.md*",
    ])
    # Weight ties that pruning broke: in the terminal summary for a passing check, in the
    # diagnosis when they made the model bigger.
    result.stdout.fnmatch_lines(["*test_inner.py::test_tied: T5ForConditionalGeneration on cpu*ok  ties broken 1: "
                                 "shared.weight = encoder.embed_tokens.weight = decoder.embed_tokens.weight = "
                                 "lm_head.weight"])
    result.stdout.fnmatch_lines([
        "*TiedEmbeddings cannot be pruned consistently*",
        "*error      : 1072 parameters before and 1336 after: pruning added parameters by breaking weight ties",
        "*detail     : embed.weight = head.weight are no longer one tensor (embed.weight (50, 16), head.weight (50, 8))",
    ])
    assert "Traceback" not in out
