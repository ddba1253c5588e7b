"""Minimal reproduction of Torch-Pruning issue #527 (grouped-query attention never finishes
grouping), bounded: Group.add_dep is counted and the run stops after LIMIT additions.

Bare Torch-Pruning and transformers only; pytest_prune is not imported.

python bench/gqa_repro.py          # LLaMA 4 heads / 2 kv heads, then 4 / 4 for comparison
"""
import collections
import time
import warnings

import torch
import torch_pruning as tp
from torch_pruning.dependency.group import Group
from transformers import LlamaConfig, LlamaForCausalLM

warnings.filterwarnings("ignore")
torch.set_num_threads(1)
LIMIT = 5000


class Stop(Exception):
    pass


def run(kv_heads: int) -> None:
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                      num_attention_heads=4, num_key_value_heads=kv_heads, use_cache=False)
    model = LlamaForCausalLM(cfg).eval()
    ids = torch.randint(0, 64, (1, 8))
    attn = model.model.layers[0].self_attn
    num_heads = {attn.q_proj: 4, attn.k_proj: kv_heads, attn.v_proj: kv_heads}
    adds, per_target, max_idx = [0], collections.Counter(), collections.defaultdict(int)
    original = Group.add_dep

    def add_dep(self, dep, idxs):
        adds[0] += 1
        name = str(dep.target.name).split(" (")[0]
        per_target[name] += 1
        max_idx[name] = max([max_idx[name]] + [int(i.idx) for i in idxs])
        if adds[0] >= LIMIT:
            raise Stop
        return original(self, dep, idxs)

    Group.add_dep = add_dep
    started = time.perf_counter()
    try:
        tp.pruner.BasePruner(model, ids, importance=tp.importance.MagnitudeImportance(), pruning_ratio=0.5,
                             ignored_layers=[model.lm_head], num_heads=num_heads, prune_num_heads=True,
                             prune_head_dims=False, head_pruning_ratio=0.5)
        outcome = "finished"
    except Stop:
        outcome = f"stopped after {LIMIT} additions"
    finally:
        Group.add_dep = original
    seconds = time.perf_counter() - started
    o = "model.layers.0.self_attn.o_proj"
    print(f"kv_heads={kv_heads}: {outcome} in {seconds:.2f}s; {adds[0]} Group.add_dep calls; "
          f"o_proj added {per_target[o]} times, largest index {max_idx[o]} (o_proj has {attn.o_proj.in_features} "
          f"inputs)")


if __name__ == "__main__":
    print(f"torch {torch.__version__}, torch-pruning 1.6.1 (__version__ {tp.__version__}), "
          f"transformers {__import__('transformers').__version__}")
    run(2)
    run(4)
