"""Ground-truth labels for the model zoo (tests/plugin/zoo.py), from bare Torch-Pruning only.

Nothing of pytest_prune is imported or used: each model is pruned the way a Torch-Pruning
user would prune it (BasePruner, pruning_ratio 0.5, the output layers in ignored_layers by
hand, and for transformers attention `num_heads` for q/k/v with Torch-Pruning's defaults
(prune_num_heads=False: head dims are pruned), then the head attributes written back as in
Torch-Pruning's examples/transformers), once with the magnitude ranking and once per seeded
random channel choice. A choice "breaks" when Torch-Pruning raises, the forward or backward
raises, the main output changes shape, or no parameter was removed.

Labels:
  prunable                  every choice works
  breaks always             every choice breaks (Torch-Pruning itself did not raise)
  breaks for some choices   some choices work, some break
  crashes or hangs          Torch-Pruning raised in its own code, or did not finish in time

For grouped-query attention models a second run ("gqa route") keeps q/k/v/o_proj unpruned.

python bench/zoo_labels.py                      # writes bench/zoo_labels.json
python bench/zoo_labels.py --only t5,lstm --choices 5
"""
from __future__ import annotations

import argparse
import copy
import json
import multiprocessing as mp
import os
import platform
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "plugin"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch_pruning as tp  # noqa: E402

import zoo  # noqa: E402

SEED_BASE = 1000  # random choice i uses torch.manual_seed(SEED_BASE + i)
RATIO = 0.5
HANG_SECONDS = 30.0  # per choice; the slowest zoo model prunes in well under a second

_TRIPLES = (("q_proj", "k_proj", "v_proj"), ("q", "k", "v"), ("query", "key", "value"))
_HEAD_COUNT = ("num_attention_heads", "num_heads", "n_heads")
_HEAD_DIM = ("attention_head_size", "head_dim", "key_value_proj_dim")
_ALL_HEAD = ("all_head_size", "inner_dim")


def _caller(entry: Any) -> Any:
    if entry.forward_fn is not None:
        return entry.forward_fn
    return lambda model, inputs: model(**inputs) if isinstance(inputs, dict) else model(inputs)


def _main_output(out: Any) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, dict):
        return next(iter(out.values()))
    if hasattr(out, "logits"):
        return out.logits
    return out[0]


def _fresh(inputs: Any) -> Any:
    if isinstance(inputs, dict):
        return {k: v.clone() for k, v in inputs.items()}
    return inputs.clone()


def _attentions(model: nn.Module) -> List[Dict[str, Any]]:
    """q/k/v projections and head counts, as Torch-Pruning's examples read them."""
    found = []
    for m in model.modules():
        for names in _TRIPLES:
            projs = [getattr(m, n, None) for n in names]
            if not all(isinstance(p, nn.Linear) for p in projs):
                continue
            heads = next((getattr(m, a) for a in _HEAD_COUNT if isinstance(getattr(m, a, None), int)), None)
            config = getattr(m, "config", None)
            if heads is None and config is not None:
                heads = config.num_attention_heads
            kv = getattr(config, "num_key_value_heads", None) or heads
            if heads:
                found.append({"module": m, "q": projs[0], "k": projs[1], "v": projs[2], "heads": heads, "kv": kv,
                              "o": getattr(m, "o_proj", None) or getattr(m, "o", None) or getattr(m, "out_proj", None)})
            break
    return found


def _rewrite_heads(model: nn.Module, attentions: List[Dict[str, Any]], pruner: Any) -> None:
    for a in attentions:
        m, heads = a["module"], pruner.num_heads.get(a["q"], a["heads"])
        kv = pruner.num_heads.get(a["k"], a["kv"])
        head_dim = a["q"].out_features // heads
        for attr in _HEAD_COUNT:
            if isinstance(getattr(m, attr, None), int):
                setattr(m, attr, heads)
        for attr in _HEAD_DIM:
            if isinstance(getattr(m, attr, None), int):
                setattr(m, attr, head_dim)
        for attr in _ALL_HEAD:
            if isinstance(getattr(m, attr, None), int):
                setattr(m, attr, a["q"].out_features)
        if isinstance(getattr(m, "num_key_value_groups", None), int):
            m.num_key_value_groups = heads // kv
    config = getattr(model, "config", None)
    if attentions and config is not None and hasattr(config, "num_attention_heads"):
        a = attentions[0]
        config.num_attention_heads = pruner.num_heads.get(a["q"], a["heads"])
        if getattr(config, "head_dim", None):
            config.head_dim = a["q"].out_features // config.num_attention_heads


def one_choice(name: str, choice: int, route: str) -> Dict[str, Any]:
    """choice -1: magnitude ranking; i >= 0: RandomImportance under torch.manual_seed(SEED_BASE + i)."""
    entry = zoo.BY_NAME[name]
    model, inputs = entry.build()
    if getattr(getattr(model, "config", None), "use_cache", None):
        model.config.use_cache = False
    call = _caller(entry)
    reference = _main_output(call(model, _fresh(inputs)))
    work = copy.deepcopy(model)
    ignored = [work.get_submodule(n) for n in entry.outputs]
    attentions = _attentions(work)
    kwargs: Dict[str, Any] = {}
    if route == "gqa":
        for a in attentions:
            ignored += [x for x in (a["q"], a["k"], a["v"], a["o"]) if x is not None]
        attentions = []
    if attentions:
        kwargs["num_heads"] = {p: (a["heads"] if p is a["q"] else a["kv"]) for a in attentions
                               for p in (a["q"], a["k"], a["v"])}
        if route == "head_dims":  # Torch-Pruning's defaults: the same dims removed inside every head
            kwargs.update(prune_num_heads=False, prune_head_dims=True)
        else:  # whole heads, as examples/LLMs/prune_llm.py prunes them
            kwargs.update(prune_num_heads=True, prune_head_dims=False, head_pruning_ratio=RATIO)
    if entry.forward_fn is not None:
        kwargs["forward_fn"] = entry.forward_fn
    if choice < 0:
        importance = tp.importance.MagnitudeImportance(p=2)
    else:
        torch.manual_seed(SEED_BASE + choice)
        importance = tp.importance.RandomImportance()
    before = sum(p.numel() for p in work.parameters())
    try:
        pruner = tp.pruner.BasePruner(work, _fresh(inputs), importance=importance, pruning_ratio=RATIO,
                                      ignored_layers=ignored, **kwargs)
        pruner.step()
    except Exception as exc:  # noqa: BLE001
        return {"outcome": "crash", "stage": "torch-pruning", "error": f"{type(exc).__name__}: {str(exc)[:160]}",
                "where": traceback.extract_tb(exc.__traceback__)[-1].filename.split("site-packages/")[-1]}
    _rewrite_heads(work, attentions, pruner)
    after = sum(p.numel() for p in work.parameters())
    try:
        out = _main_output(call(work, _fresh(inputs)))
    except Exception as exc:  # noqa: BLE001
        return {"outcome": "break", "stage": "forward", "error": f"{type(exc).__name__}: {str(exc)[:160]}"}
    if out.shape != reference.shape:
        return {"outcome": "break", "stage": "output shape", "error": f"{tuple(out.shape)} vs {tuple(reference.shape)}"}
    try:
        out.float().sum().backward()
    except Exception as exc:  # noqa: BLE001
        return {"outcome": "break", "stage": "backward", "error": f"{type(exc).__name__}: {str(exc)[:160]}"}
    if after >= before:
        return {"outcome": "break", "stage": "nothing pruned", "error": f"{before} params before and after"}
    return {"outcome": "ok", "params": [before, after]}


def _child(name: str, choice: int, route: str, queue: Any) -> None:
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    queue.put(one_choice(name, choice, route))


def run_choice(name: str, choice: int, route: str) -> Dict[str, Any]:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(name, choice, route, queue))
    proc.start()
    proc.join(HANG_SECONDS)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return {"outcome": "hang", "stage": "torch-pruning", "error": f"not finished after {HANG_SECONDS:g}s"}
    try:
        return queue.get(timeout=5)
    except Exception:  # noqa: BLE001
        return {"outcome": "crash", "stage": "process", "error": f"exit code {proc.exitcode}"}


def label_of(results: List[Dict[str, Any]]) -> str:
    outcomes = [r["outcome"] for r in results]
    if all(o == "ok" for o in outcomes):
        return "prunable"
    if any(o == "ok" for o in outcomes):
        return "breaks for some choices"
    if any(o in ("crash", "hang") for o in outcomes):
        return "crashes or hangs"
    return "breaks always"


def label_model(name: str, choices: int, route: str = "default") -> Dict[str, Any]:
    results = []
    for choice in [-1] + list(range(choices)):
        r = run_choice(name, choice, route)
        r["choice"] = "magnitude" if choice < 0 else f"random seed {SEED_BASE + choice}"
        results.append(r)
        if r["outcome"] == "hang":
            break  # every other choice goes through the same grouping
    broken = [r for r in results if r["outcome"] != "ok"]
    causes: Dict[str, int] = {}
    for r in broken:
        key = f"{r['stage']}: {r['error']}"[:200]
        causes[key] = causes.get(key, 0) + 1
    return {
        "label": label_of(results),
        "choices_run": len(results),
        "choices_broken": len(broken),
        "magnitude": results[0]["outcome"],
        "random_broken": sum(1 for r in results[1:] if r["outcome"] != "ok"),
        "causes": causes,
        # one letter per choice, magnitude first: o ok, b breaks, c Torch-Pruning raised, h hangs
        "outcomes": "".join(r["outcome"][0] if r["outcome"] != "ok" else "o" for r in results),
        "params": next((r["params"] for r in results if r["outcome"] == "ok"), None),
    }


ROUTES = {
    "head_dims": "num_heads with prune_num_heads=False, prune_head_dims=True (Torch-Pruning's defaults)",
    "gqa": "q/k/v/o_proj of every attention in ignored_layers (the rest, MLPs included, pruned)",
}


def _has_attention(name: str) -> bool:
    model, _ = zoo.BY_NAME[name].build()
    return bool(_attentions(model))


def _is_gqa(name: str) -> bool:
    model, _ = zoo.BY_NAME[name].build()
    return any(a["kv"] < a["heads"] for a in _attentions(model))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--choices", type=int, default=20, help="seeded random choices per model (default 20)")
    parser.add_argument("--only", default="", help="comma-separated zoo names")
    parser.add_argument("--out", default=str(ROOT / "bench" / "zoo_labels.json"))
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or [e.name for e in zoo.ZOO]
    started = time.time()
    models: Dict[str, Any] = {}
    for name in names:
        t = time.time()
        result = models[name] = label_model(name, args.choices)
        result["settings"] = "whole heads" if _has_attention(name) else "default"
        result["routes"] = {}
        if result["label"] != "prunable" and _has_attention(name):
            for route in ROUTES:
                if route == "gqa" and not _is_gqa(name):
                    continue
                result["routes"][route] = label_model(name, args.choices, route=route)
        result["prunable_with"] = next((r for r, v in result["routes"].items() if v["label"] == "prunable"), None)
        result["seconds"] = round(time.time() - t, 2)
        routes = "  ".join(f"{r}: {v['label']} ({v['choices_broken']}/{v['choices_run']})"
                           for r, v in result["routes"].items())
        print(f"{name:18} {result['label']:25} broken {result['choices_broken']}/{result['choices_run']}  {routes}",
              flush=True)
    data = {
        "torch": torch.__version__,
        "torch_pruning": "1.6.1 (its __version__ says %s)" % tp.__version__,
        "transformers": __import__("transformers").__version__,
        "python": platform.python_version(),
        "pruning_ratio": RATIO,
        "choices": {"magnitude": "tp.importance.MagnitudeImportance(p=2)",
                    "random": f"tp.importance.RandomImportance() after torch.manual_seed({SEED_BASE} + i), "
                              f"i = 0..{args.choices - 1}"},
        "hang_seconds_per_choice": HANG_SECONDS,
        "settings": {"default": "BasePruner(pruning_ratio=0.5, ignored_layers=<the entry's output layers>)",
                     "whole heads": "default + num_heads for q/k/v, prune_num_heads=True, prune_head_dims=False, "
                                    "head_pruning_ratio=0.5, head attributes written back",
                     **ROUTES},
        "seconds": round(time.time() - started, 1),
        "models": models,
    }
    if not args.only:
        Path(args.out).write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
