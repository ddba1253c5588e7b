"""Architectures Torch-Pruning handles must pass through the fixture, with a summary."""
import pytest

ARCHITECTURES = '''
import torch
import prune_models as pm

X = torch.randn(2, 3, 8, 8)

def test_residual(prune_check):
    report = prune_check(pm.ResidualNet(), X, pruning_ratio=0.5)
    assert report.params_after < report.params_before
    assert "fc" in report.ignored_layers  # output layer kept automatically

def test_concat(prune_check):
    report = prune_check(pm.ConcatNet(), X)
    assert {g.root for g in report.groups} >= {"a", "b"}

def test_depthwise_and_grouped(prune_check):
    report = prune_check(pm.DepthwiseGroupedNet(), X)
    assert report.model.dw.groups == report.model.dw.out_channels < 16
    assert report.model.grouped.groups == 4

def test_unwrapped_parameter(prune_check):
    model = pm.UnwrappedParamNet()
    report = prune_check(model, X, unwrapped_parameters=[(model.scale, 1)], round_to=4)
    assert report.model.scale.shape[1] == report.model.conv.out_channels == 8

def test_multihead_attention(prune_check):
    report = prune_check(pm.AttentionNet(), torch.randn(2, 5, 8))
    assert report.model.attn.embed_dim < 32
    assert report.model.head.out_features == 3

def test_dict_and_tuple_inputs(prune_check):
    report = prune_check(pm.ResidualNet(), (X,), iterative_steps=2, ignored_layers=["conv2"])
    assert report.model.conv2.out_channels == 32
    report = prune_check(pm.ResidualNet(), {"x": X}, ignored_layers=["conv2"])
    assert report.model.conv2.out_channels == 32 and report.model.conv1.out_channels == 8
'''


def test_architectures_pass_with_summary(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_arch=ARCHITECTURES)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines([
        "*prune check summary*",
        "test_arch.py::test_concat: ConcatNet on cpu  params * -> *  MACs * -> *  groups 3  probes 3  threads *  ok",
        "test_arch.py::test_residual: ResidualNet on cpu*ok",
    ])


HF = '''
import torch
import prune_models as pm

def test_bert(prune_check):
    model = pm.tiny_bert()
    report = prune_check(model, pm.token_inputs())
    attn = report.model.bert.encoder.layer[0].attention.self
    assert attn.num_attention_heads == 2 and attn.all_head_size == attn.query.out_features
    assert model.bert.encoder.layer[0].attention.self.num_attention_heads == 4  # original untouched

def test_vit(prune_check):
    report = prune_check(pm.tiny_vit(), torch.randn(2, 3, 16, 16))
    attn = report.model.vit.layers[0].attention
    assert attn.q_proj.out_features == attn.config.num_attention_heads * attn.head_dim

def test_llama_gqa(prune_check):
    # Grouped-query attention: q/k/v/o are kept whole (Torch-Pruning #527), the MLP is pruned.
    report = prune_check(pm.tiny_llama(), pm.token_inputs(), time_limit_s=None)
    assert report.model.model.layers[0].self_attn.k_proj.out_features == 16
    assert report.model.model.layers[0].mlp.up_proj.out_features == 32
'''


def test_transformers_models(pytester: pytest.Pytester) -> None:
    pytest.importorskip("transformers")
    pytester.makepyfile(test_hf=HF)
    result = pytester.runpytest("-p", "no:cacheprovider")
    # Torch-Pruning 1.6.1 never finishes grouping GQA attention (#527); the check keeps it whole and prunes the rest.
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*test_hf.py::test_llama_gqa: LlamaForCausalLM on cpu  params 13.4k -> 10.3k*ok"])


def test_gqa_heads_detected_and_redeclared() -> None:
    pytest.importorskip("transformers")
    import prune_models as pm

    from pytest_prune import hf

    model = pm.tiny_llama()
    attentions = hf.find_attention(model)
    assert [(a.heads, a.kv_heads, a.head_dim) for a in attentions] == [(4, 2, 8)]
    heads = hf.num_heads_map(attentions)
    a = attentions[0]
    assert heads[a.q] == 4 and heads[a.k] == heads[a.v] == 2
    hf.redeclare_heads(model, attentions, {a.q: 2, a.k: 1, a.v: 1})
    assert a.module.num_key_value_groups == 2
    assert model.config.num_attention_heads == 2 and model.config.num_key_value_heads == 1
    assert a.module.head_dim == 16  # derived from the projection width, which was not pruned here
    assert hf.head_mismatches(attentions) == []
    a.module.num_key_value_groups = 1  # now 2 kv heads x 16 are declared but k_proj has 16 outputs
    assert any("key projection has 16 outputs" in p for p in hf.head_mismatches(attentions))
