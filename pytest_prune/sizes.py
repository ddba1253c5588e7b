"""Declared sizes (constructor attributes) against the tensors a module really holds.

Torch-Pruning rewrites weights; a module whose attributes disagree with its tensors
may still run today and break on the next `extra_repr`, export or re-instantiation.
"""
from __future__ import annotations

from typing import List

import torch.nn as nn


def _shape(t) -> tuple:
    return tuple(t.shape) if t is not None else ()


def declared_size_mismatches(model: nn.Module) -> List[str]:
    problems: List[str] = []
    for name, m in model.named_modules():
        label = name or type(m).__name__
        problems.extend(f"{label} ({type(m).__name__}): {p}" for p in _module_mismatches(m))
    return problems


def _module_mismatches(m: nn.Module) -> List[str]:
    out: List[str] = []
    if isinstance(m, nn.modules.conv._ConvNd):
        w = m.weight
        if m.in_channels % m.groups or m.out_channels % m.groups:
            out.append(f"in_channels={m.in_channels}/out_channels={m.out_channels} not divisible by groups={m.groups}")
        if m.transposed:
            expect = (m.in_channels, m.out_channels // m.groups)
        else:
            expect = (m.out_channels, m.in_channels // m.groups)
        if tuple(w.shape[:2]) != expect:
            out.append(
                f"weight {tuple(w.shape)} but in_channels={m.in_channels}, out_channels={m.out_channels}, groups={m.groups}"
            )
        if m.bias is not None and _shape(m.bias) != (m.out_channels,):
            out.append(f"bias {_shape(m.bias)} but out_channels={m.out_channels}")
    elif isinstance(m, nn.Linear):
        if _shape(m.weight) != (m.out_features, m.in_features):
            out.append(f"weight {_shape(m.weight)} but in_features={m.in_features}, out_features={m.out_features}")
        if m.bias is not None and _shape(m.bias) != (m.out_features,):
            out.append(f"bias {_shape(m.bias)} but out_features={m.out_features}")
    elif isinstance(m, nn.modules.batchnorm._NormBase):
        n = m.num_features
        for attr in ("weight", "bias", "running_mean", "running_var"):
            t = getattr(m, attr, None)
            if t is not None and _shape(t) != (n,):
                out.append(f"{attr} {_shape(t)} but num_features={n}")
    elif isinstance(m, nn.GroupNorm):
        if m.num_channels % m.num_groups:
            out.append(f"num_channels={m.num_channels} not divisible by num_groups={m.num_groups}")
        for attr in ("weight", "bias"):
            t = getattr(m, attr, None)
            if t is not None and _shape(t) != (m.num_channels,):
                out.append(f"{attr} {_shape(t)} but num_channels={m.num_channels}")
    elif isinstance(m, nn.LayerNorm):
        for attr in ("weight", "bias"):
            t = getattr(m, attr, None)
            if t is not None and _shape(t) != tuple(m.normalized_shape):
                out.append(f"{attr} {_shape(t)} but normalized_shape={tuple(m.normalized_shape)}")
    elif isinstance(m, nn.Embedding):
        if _shape(m.weight) != (m.num_embeddings, m.embedding_dim):
            out.append(
                f"weight {_shape(m.weight)} but num_embeddings={m.num_embeddings}, embedding_dim={m.embedding_dim}"
            )
    elif isinstance(m, nn.MultiheadAttention):
        e = m.embed_dim
        if e % m.num_heads or m.head_dim != e // m.num_heads:
            out.append(f"embed_dim={e}, num_heads={m.num_heads}, head_dim={m.head_dim} are inconsistent")
        if m.in_proj_weight is not None and _shape(m.in_proj_weight) != (3 * e, e):
            out.append(f"in_proj_weight {_shape(m.in_proj_weight)} but embed_dim={e}")
        if m.in_proj_bias is not None and _shape(m.in_proj_bias) != (3 * e,):
            out.append(f"in_proj_bias {_shape(m.in_proj_bias)} but embed_dim={e}")
        if _shape(m.out_proj.weight)[0] != e:
            out.append(f"out_proj.weight {_shape(m.out_proj.weight)} but embed_dim={e}")
    return out
