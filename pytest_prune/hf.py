"""Hugging Face attention heads: detect them before pruning, re-declare them after.

Follows Torch-Pruning's examples/transformers (prune_hf_bert.py, prune_llama.py): pass
num_heads for the q/k/v projections, prune whole heads, then write the new head counts
back into the attention modules and `model.config` so that forward reshapes correctly.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import torch.nn as nn

# (query, key, value, output) attribute names used by transformers attention modules.
_PROJ_NAMES = (
    ("q_proj", "k_proj", "v_proj", "out_proj"),  # BART, Whisper, MBart, Marian
    ("q_proj", "k_proj", "v_proj", "o_proj"),  # LLaMA, Mistral, Qwen2, ViT/DeiT/Swin (transformers>=5)
    ("q", "k", "v", "o"),  # T5, mT5
    ("query", "key", "value", None),  # BERT, RoBERTa, old ViT; output lives in a sibling module
    ("q_proj", "k_proj", "v_proj", None),  # q/k/v without a known output projection
)
# Where attention modules keep their head count, head size and total width (heads x head size).
HEAD_COUNT_ATTRS = ("num_attention_heads", "num_heads", "n_heads", "n_head")
HEAD_DIM_ATTRS = ("head_dim", "attention_head_size", "key_value_proj_dim", "head_size")
ALL_HEAD_ATTRS = ("all_head_size", "inner_dim")


@dataclass
class Attention:
    name: str
    module: nn.Module
    q: nn.Linear
    k: nn.Linear
    v: nn.Linear
    o: Optional[nn.Linear]
    heads: int
    kv_heads: int
    head_dim: int
    proj_names: tuple = ()

    def projection_names(self) -> List[str]:
        """Qualified names of q, k, v and (if it is one) the output projection."""
        prefix = f"{self.name}." if self.name else ""
        return [prefix + n for n in self.proj_names if n]

    @property
    def per_head_bias(self) -> bool:
        """A relative-position table with one column per head (T5, Swin): Torch-Pruning does not
        couple it with the heads, so removing whole heads would leave it too wide."""
        for name, p in self.module.named_parameters():
            if "relative" in name and p.dim() >= 1 and p.shape[-1] == self.heads:
                return True
        return False


def is_hf_model(model: nn.Module) -> bool:
    config = getattr(model, "config", None)
    return config is not None and hasattr(config, "num_attention_heads") and hasattr(config, "to_dict")


def _first_int(module: Any, attrs: Any) -> Optional[int]:
    for attr in attrs:
        value = getattr(module, attr, None)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _head_dim(module: nn.Module, q: nn.Linear) -> Optional[int]:
    value = _first_int(module, HEAD_DIM_ATTRS)
    if value:
        return value
    heads = _first_int(module, HEAD_COUNT_ATTRS)
    if heads and q.out_features % heads == 0:
        return q.out_features // heads
    config = getattr(module, "config", None)
    heads = getattr(config, "num_attention_heads", None)
    if isinstance(heads, int) and heads > 0:
        return q.out_features // heads
    return None


def find_attention(model: nn.Module) -> List[Attention]:
    found: List[Attention] = []
    modules = dict(model.named_modules())
    for name, module in model.named_modules():
        for qn, kn, vn, on in _PROJ_NAMES:
            q, k, v = (getattr(module, n, None) for n in (qn, kn, vn))
            if not all(isinstance(x, nn.Linear) for x in (q, k, v)):
                continue
            head_dim = _head_dim(module, q)
            if not head_dim:
                continue
            if q.out_features % head_dim or k.out_features % head_dim:
                continue
            if on is not None and not isinstance(getattr(module, on, None), nn.Linear):
                continue  # another family with the same q/k/v names
            o = getattr(module, on, None) if on else None
            if o is None and on is None:
                # BERT keeps the output projection in the sibling BertSelfOutput.dense.
                parent = modules.get(name.rsplit(".", 1)[0]) if "." in name else None
                o = getattr(getattr(parent, "output", None), "dense", None)
            found.append(
                Attention(
                    name=name,
                    module=module,
                    q=q,
                    k=k,
                    v=v,
                    o=o if isinstance(o, nn.Linear) else None,
                    heads=q.out_features // head_dim,
                    kv_heads=k.out_features // head_dim,
                    head_dim=head_dim,
                    proj_names=(qn, kn, vn, on),
                )
            )
            break
    return found


def num_heads_map(attentions: List[Attention]) -> Dict[nn.Module, int]:
    heads: Dict[nn.Module, int] = {}
    for a in attentions:
        heads[a.q] = a.heads
        heads[a.k] = a.kv_heads
        heads[a.v] = a.kv_heads
    return heads


def prepare(model: nn.Module) -> None:
    """Caches are not tensors Torch-Pruning can trace through; turn them off on the copy."""
    config = getattr(model, "config", None)
    if config is not None and getattr(config, "use_cache", None):
        config.use_cache = False


def redeclare_heads(model: nn.Module, attentions: List[Attention], pruner_heads: Dict[nn.Module, int]) -> None:
    """Write post-pruning head counts where transformers' forward reads them."""
    for a in attentions:
        heads = pruner_heads.get(a.q, a.heads)
        kv_heads = pruner_heads.get(a.k, a.kv_heads)
        if heads <= 0:
            continue
        head_dim = a.q.out_features // heads
        m = a.module
        for attr in HEAD_COUNT_ATTRS:
            _set_if_has(m, attr, heads)
        for attr in HEAD_DIM_ATTRS:
            _set_if_has(m, attr, head_dim)
        for attr in ALL_HEAD_ATTRS:
            _set_if_has(m, attr, heads * head_dim)
        _set_if_has(m, "num_key_value_heads", kv_heads)
        if kv_heads > 0:
            _set_if_has(m, "num_key_value_groups", heads // kv_heads)
    if attentions:
        first = attentions[0]
        config = getattr(model, "config", None)
        if config is not None:
            heads = pruner_heads.get(first.q, first.heads)
            kv_heads = pruner_heads.get(first.k, first.kv_heads)
            config.num_attention_heads = heads
            if hasattr(config, "num_key_value_heads"):
                config.num_key_value_heads = kv_heads
            if getattr(config, "head_dim", None) is not None and heads:
                config.head_dim = first.q.out_features // heads
            if isinstance(getattr(config, "d_kv", None), int) and heads:  # T5
                config.d_kv = first.q.out_features // heads
            config.hidden_size = first.q.in_features


def _set_if_has(module: nn.Module, attr: str, value: Any) -> None:
    if hasattr(module, attr) and isinstance(getattr(module, attr), int):
        setattr(module, attr, value)


def head_mismatches(attentions: List[Attention]) -> List[str]:
    """Heads x head size must equal the projection widths the module now holds."""
    problems: List[str] = []
    for a in attentions:
        m = a.module
        heads = _first_int(m, HEAD_COUNT_ATTRS)
        if heads is None:  # LLaMA-style modules read the head count from their config
            heads = getattr(getattr(m, "config", None), "num_attention_heads", None)
        head_dim = _first_int(m, HEAD_DIM_ATTRS)
        if not isinstance(heads, int) or not isinstance(head_dim, int):
            continue
        if a.q.out_features != heads * head_dim:
            problems.append(
                f"{a.name}: query projection has {a.q.out_features} outputs but heads x head size = {heads} x {head_dim}"
            )
        kv = getattr(m, "num_key_value_heads", None)
        groups = getattr(m, "num_key_value_groups", None)
        if isinstance(groups, int) and groups > 0 and not isinstance(kv, int):
            kv = heads // groups
        kv = kv if isinstance(kv, int) else heads
        for label, proj in (("key", a.k), ("value", a.v)):
            if proj.out_features != kv * head_dim:
                problems.append(
                    f"{a.name}: {label} projection has {proj.out_features} outputs but kv heads x head size = {kv} x {head_dim}"
                )
        for attr in ALL_HEAD_ATTRS:
            all_head = getattr(m, attr, None)
            if isinstance(all_head, int) and all_head != a.q.out_features:
                problems.append(f"{a.name}: {attr}={all_head} but query projection has {a.q.out_features} outputs")
        if a.o is not None and a.o.in_features != a.q.out_features:
            problems.append(f"{a.name}: output projection takes {a.o.in_features} inputs but query has {a.q.out_features}")
    return problems
