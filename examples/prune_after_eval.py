"""A pruning script with the classic bug: the pruner is built inside the evaluation block.

Torch-Pruning 1.6 asserts here, but under `python -O` the dependency graph silently has one
node and nothing is pruned.
"""
import torch
import torch.nn as nn
import torch_pruning as tp


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10),
    )


def main() -> None:
    model = build_model().eval()
    example_inputs = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        baseline = model(example_inputs)
        pruner = tp.pruner.BasePruner(  # PRL001: traced with autograd off
            model,
            example_inputs,
            importance=tp.importance.GroupMagnitudeImportance(p=2),
            pruning_ratio=0.5,
            ignored_layers=[model[-1]],
        )
        pruner.step()
    print(baseline.shape, model(example_inputs).shape)


if __name__ == "__main__":
    main()
