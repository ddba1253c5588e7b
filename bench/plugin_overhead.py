"""Cost of the default check_prunable against bare Torch-Pruning on the same model.

Bare Torch-Pruning is the work a user does without the check: build the pruner (its
dependency graph), prune one step with the same ratio, importance, ignored layers and, for
transformers models, the same attention-head settings (as in Torch-Pruning's
examples/transformers/prune_hf_bert.py, head counts written back), then one forward.
The model copy it prunes is made before its clock starts.

"per probe" is the whole check_prunable call divided by its number of probes, set-up
included (tracing forward, output-group analysis, MAC counts); the target is at
most 2x bare. "each further probe" is the cost one more probe adds (copy, prune, checks):
(default check - check with probes=0) / 2. Times are CPU seconds of this process with one
torch thread, so that other processes on a shared machine change them little; wall seconds
are printed beside them.

python bench/plugin_overhead.py                 # small CNN + exhaustive-mode growth, ~30 s
python bench/plugin_overhead.py --large         # + ResNet-50- and BERT-base-sized transformers models
python bench/plugin_overhead.py --zoo           # every zoo model the check passes, per probe vs bare
                                                # (target <= 2x; docs/plugin/README.md has a run)
"""
from __future__ import annotations

import argparse
import copy
import importlib.metadata
import os
import platform
import time
import warnings
from typing import Any, Dict, List, Sequence, Tuple

import torch
import torch.nn as nn
import torch_pruning as tp

from pytest_prune import check_prunable
from pytest_prune.report import PruneReport


class SmallCNN(nn.Module):
    def __init__(self, widths: Sequence[int] = (32, 64, 64, 128)) -> None:
        super().__init__()
        layers, c = [], 3
        for width in widths:
            layers += [nn.Conv2d(c, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU()]
            c = width
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(c, 10)

    def forward(self, x):
        return self.fc(self.features(x).mean((2, 3)))


def _call(model: nn.Module, inputs: Any) -> Any:
    return model(**inputs) if isinstance(inputs, dict) else model(inputs)


def _head_settings(model: nn.Module) -> Tuple[Dict[nn.Module, int], List[nn.Module]]:
    """num_heads for every BERT-style self-attention, as Torch-Pruning's BERT example builds it."""
    heads: Dict[nn.Module, int] = {}
    attentions = []
    for m in model.modules():
        if all(isinstance(getattr(m, n, None), nn.Linear) for n in ("query", "key", "value")):
            for proj in (m.query, m.key, m.value):
                heads[proj] = m.num_attention_heads
            attentions.append(m)
    return heads, attentions


class Clock:
    """Wall and CPU seconds; the machine is shared, so ratios are taken on CPU time (one torch thread)."""

    def __enter__(self) -> "Clock":
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def bare(model: nn.Module, inputs: Any, ignored: Sequence[str], ratio: float = 0.5) -> Clock:
    m = copy.deepcopy(model)
    with Clock() as clock:
        heads, attentions = _head_settings(m)
        extra: Dict[str, Any] = {}
        if heads:
            extra = dict(num_heads=heads, prune_num_heads=True, prune_head_dims=False, head_pruning_ratio=ratio)
        pruner = tp.pruner.BasePruner(m, inputs, importance=tp.importance.MagnitudeImportance(p=2),
                                      pruning_ratio=ratio, ignored_layers=[m.get_submodule(n) for n in ignored],
                                      **extra)
        pruner.step()
        for a in attentions:
            a.num_attention_heads = pruner.num_heads[a.query]
            a.attention_head_size = a.query.out_features // a.num_attention_heads
            a.all_head_size = a.query.out_features
        with torch.no_grad():
            _call(m, inputs)
    return clock


def timed_check(model: nn.Module, inputs: Any, **options: Any) -> Tuple[Clock, PruneReport]:
    with Clock() as clock:
        report = check_prunable(model, inputs, **options)
    return clock, report


def _best(clocks: List[Clock]) -> Tuple[float, float]:
    # Best of N, as timeit does: on a shared machine other processes only ever add time.
    return min(c.cpu for c in clocks), min(c.wall for c in clocks)


def compare(name: str, model: nn.Module, inputs: Any, repeats: int) -> None:
    _, report = timed_check(model, inputs)  # warm-up; also tells which layers the check keeps
    full: List[Clock] = []
    single: List[Clock] = []
    bares: List[Clock] = []
    for _ in range(repeats):  # interleaved, so load changes hit every side
        clock, report = timed_check(model, inputs)
        full.append(clock)
        single.append(timed_check(model, inputs, probes=0)[0])
        bares.append(bare(model, inputs, report.ignored_layers))
    (c, cw), (c1, _), (b, bw) = _best(full), _best(single), _best(bares)
    n = len(report.probes)
    probe = (c - c1) / (n - 1)
    print(f"{name}: params {report.params_before:,} -> {report.params_after:,}, "
          f"{len(report.groups)} groups; CPU seconds (wall), best of {repeats}")
    print(f"  bare Torch-Pruning         : {b:7.3f}s ({bw:.3f}s)")
    print(f"  check_prunable, {n} probes   : {c:7.3f}s ({cw:.3f}s)")
    print(f"    set-up (once per check)  : {c1 - probe:7.3f}s")
    print(f"    each further probe       : {probe:7.3f}s  -> {probe / b:.2f}x bare")
    print(f"  per probe (total / {n})      : {c / n:7.3f}s  -> {c / n / b:.2f}x bare  (target <= 2x)")


def exhaustive_growth(repeats: int) -> None:
    """exhaustive=True prunes every group alone, for every probe: cost grows with groups x probes."""
    print(f"exhaustive mode (SmallCNN chains of n conv layers; 3 probes; CPU seconds, best of {repeats}):")
    print(f"  {'groups':>6} {'default':>9} {'exhaustive':>11} {'attempts':>9} {'per attempt':>12} {'bare':>8}")
    x = torch.randn(2, 3, 32, 32)
    for depth in (2, 4, 8, 16):
        model = SmallCNN([32] * depth).eval()
        timed_check(model, x)
        default, _ = _best([timed_check(model, x)[0] for _ in range(repeats)])
        runs = [timed_check(model, x, exhaustive=True) for _ in range(repeats)]
        full, _ = _best([clock for clock, _ in runs])
        report = runs[0][1]
        attempts = len(report.probes)
        b, _ = _best([bare(model, x, report.ignored_layers) for _ in range(repeats)])
        extra = (full - default) / max(attempts - 3, 1)
        print(f"  {len(report.groups):>6} {default:>8.3f}s {full:>10.3f}s {attempts:>9} {extra:>11.4f}s {b:>7.4f}s")
    print("  attempts: 3 whole-model probes + 3 per group; per attempt: the extra time / extra attempts")


def _zoo_bare(entry: Any, model: nn.Module, inputs: Any, report: PruneReport, ratio: float = 0.5) -> Clock:
    """Bare Torch-Pruning with the settings the check used: its ignored layers (outputs, GQA
    projections) and its head mode, heads written back as in Torch-Pruning's examples."""
    import zoo_labels  # bench/zoo_labels.py: the bare helpers that label the zoo

    m = copy.deepcopy(model)
    forward = entry.forward_fn or (lambda mod, x: _call(mod, x))
    with Clock() as clock:
        ignored = [m.get_submodule(n) for n in report.ignored_layers]
        attentions = [a for a in zoo_labels._attentions(m) if a["q"] not in ignored]
        extra: Dict[str, Any] = {}
        if attentions:
            extra["num_heads"] = {p: (a["heads"] if p is a["q"] else a["kv"]) for a in attentions
                                  for p in (a["q"], a["k"], a["v"])}
            if any("relative" in n for n, _ in m.named_parameters()):
                extra.update(prune_num_heads=False, prune_head_dims=True)
            else:
                extra.update(prune_num_heads=True, prune_head_dims=False, head_pruning_ratio=ratio)
        if entry.forward_fn is not None:
            extra["forward_fn"] = entry.forward_fn
        pruner = tp.pruner.BasePruner(m, inputs, importance=tp.importance.MagnitudeImportance(p=2),
                                      pruning_ratio=ratio, ignored_layers=ignored, **extra)
        pruner.step()
        zoo_labels._rewrite_heads(m, attentions, pruner)
        with torch.no_grad():
            forward(m, inputs)
    return clock


def zoo_overhead(repeats: int, only: Sequence[str]) -> None:
    """Per probe against bare Torch-Pruning on every zoo model the check passes."""
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here), str(here.parent / "tests" / "plugin")]
    import zoo

    from pytest_prune import PruneCheckFailure

    print(f"zoo: CPU seconds, best of {repeats}, {torch.get_num_threads()} torch thread(s); "
          "per probe = check_prunable (3 probes) / 3")
    print(f"  {'model':16} {'bare':>8} {'check':>8} {'per probe':>10} {'ratio':>6} {'extra probe':>12} {'ratio':>6}")
    ratios = []
    for entry in zoo.ZOO:
        if only and entry.name not in only:
            continue
        model, inputs = entry.build()
        options = entry.check_options()
        try:
            _, report = timed_check(model, inputs, **options)
        except PruneCheckFailure:
            continue  # not prunable: nothing to compare with
        full, single, bares = [], [], []
        for _ in range(repeats):
            full.append(timed_check(model, inputs, **options)[0])
            single.append(timed_check(model, inputs, probes=0, **options)[0])
            bares.append(_zoo_bare(entry, model, inputs, report))
        (c, _), (c1, _), (b, _) = _best(full), _best(single), _best(bares)
        extra = (c - c1) / 2
        ratios.append((entry.name, c / 3 / b))
        print(f"  {entry.name:16} {b:7.3f}s {c:7.3f}s {c / 3:9.3f}s {c / 3 / b:5.2f}x {extra:11.3f}s {extra / b:5.2f}x",
              flush=True)
    if ratios:
        worst = max(ratios, key=lambda r: r[1])
        over = [n for n, r in ratios if r > 2.0]
        print(f"  worst per-probe ratio: {worst[0]} {worst[1]:.2f}x; over 2x: {', '.join(over) or 'none'} "
              f"({len(ratios)} models)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", action="store_true", help="also ResNet-50- and BERT-base-sized models")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each side for the small models")
    parser.add_argument("--large-repeats", type=int, default=3, help="runs of each side for the large models")
    parser.add_argument("--no-exhaustive", action="store_true", help="skip the exhaustive-mode growth table")
    parser.add_argument("--zoo", action="store_true", help="only the zoo table (tests/plugin/zoo.py)")
    parser.add_argument("--only", default="", help="with --zoo: comma-separated zoo names")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1 by default: CPU time then measures work, not spinning)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:  # torch_pruning.__version__ of 1.6.1 still says 1.6.0
        tp_version = importlib.metadata.version("torch-pruning")
    except importlib.metadata.PackageNotFoundError:
        tp_version = tp.__version__
    load = f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "?"
    print(f"machine: {cpu}, {os.cpu_count()} cores, torch {torch.__version__} (threads {torch.get_num_threads()}), "
          f"torch-pruning {tp_version}; load average at start {load}")
    if args.zoo:
        import transformers

        transformers.logging.set_verbosity_error()
        zoo_overhead(args.repeats, [n for n in args.only.split(",") if n])
        return
    compare("small CNN", SmallCNN().eval(), torch.randn(2, 3, 32, 32), args.repeats)
    if args.large:
        import transformers
        from transformers import BertConfig, BertForSequenceClassification, ResNetConfig, ResNetForImageClassification

        transformers.logging.set_verbosity_error()

        resnet = ResNetForImageClassification(ResNetConfig(layer_type="bottleneck", depths=[3, 4, 6, 3],
                                                           hidden_sizes=[256, 512, 1024, 2048])).eval()
        compare("ResNet-50-sized (transformers)", resnet, torch.randn(1, 3, 64, 64), args.large_repeats)
        del resnet
        bert = BertForSequenceClassification(BertConfig()).eval()
        compare("BERT-base-sized", bert, {"input_ids": torch.randint(0, 1000, (1, 32))}, args.large_repeats)
    if not args.no_exhaustive:
        exhaustive_growth(max(1, args.repeats // 2))
    if hasattr(os, "getloadavg"):
        print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
