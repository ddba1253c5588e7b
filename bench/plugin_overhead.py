"""Cost of the default check_prunable against bare Torch-Pruning on the same model.

Bare: build BasePruner (dependency graph), prune one step, one forward.
python bench/plugin_overhead.py            # small CNN, well under a minute
python bench/plugin_overhead.py --large    # + ResNet-50- and BERT-base-sized transformers configs
"""
from __future__ import annotations

import argparse
import copy
import time
import warnings

import torch
import torch.nn as nn
import torch_pruning as tp

from pytest_prune import check_prunable


class SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        layers, c = [], 3
        for width in (32, 64, 64, 128):
            layers += [nn.Conv2d(c, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU()]
            c = width
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(c, 10)

    def forward(self, x):
        return self.fc(self.features(x).mean((2, 3)))


def bare(model: nn.Module, inputs, ignored) -> float:
    start = time.perf_counter()
    m = copy.deepcopy(model)
    kwargs = {} if isinstance(inputs, torch.Tensor) else {}
    pruner = tp.pruner.BasePruner(m, inputs, importance=tp.importance.MagnitudeImportance(),
                                  pruning_ratio=0.5, ignored_layers=[m.get_submodule(n) for n in ignored], **kwargs)
    pruner.step()
    with torch.no_grad():
        m(**inputs) if isinstance(inputs, dict) else m(inputs)
    return time.perf_counter() - start


def run(name: str, model: nn.Module, inputs, repeats: int) -> None:
    check_prunable(model, inputs)  # warm-up (and learn which layers the check keeps)
    report = None
    check_times, bare_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        report = check_prunable(model, inputs)
        check_times.append(time.perf_counter() - start)
        bare_times.append(bare(model, inputs, report.ignored_layers))
    assert report is not None
    c, b = min(check_times), min(bare_times)
    per_probe = ", ".join(f"{k} {v:.3f}s" for k, v in report.probe_seconds.items())
    print(f"{name}: params {report.params_before:,} -> {report.params_after:,}")
    print(f"  bare Torch-Pruning : {b:.3f}s")
    print(f"  check_prunable     : {c:.3f}s  ({len(report.probes)} probes: {per_probe})")
    print(f"  ratio              : {c / b:.1f}x bare  ({c / b / len(report.probes):.1f}x per probe)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", action="store_true", help="also ResNet-50- and BERT-base-sized models")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    run("small CNN", SmallCNN().eval(), torch.randn(2, 3, 32, 32), args.repeats)
    if args.large:
        from transformers import BertConfig, BertForSequenceClassification, ResNetConfig, ResNetForImageClassification

        resnet = ResNetForImageClassification(ResNetConfig(layer_type="bottleneck", depths=[3, 4, 6, 3],
                                                           hidden_sizes=[256, 512, 1024, 2048])).eval()
        run("ResNet-50-sized (transformers)", resnet, torch.randn(1, 3, 64, 64), 1)
        bert = BertForSequenceClassification(BertConfig()).eval()
        run("BERT-base-sized", bert, {"input_ids": torch.randint(0, 1000, (1, 32))}, 1)


if __name__ == "__main__":
    main()
