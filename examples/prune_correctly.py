"""The same pruning done right: build the pruner with autograd on; step() may run under no_grad."""
import torch
import torch.nn as nn
import torch_pruning as tp


def main() -> None:
    model = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))
    example_inputs = torch.randn(1, 3, 32, 32)
    model(example_inputs)
    with torch.no_grad():
        baseline = model(example_inputs)
    pruner = tp.pruner.BasePruner(
        model,
        example_inputs,
        importance=tp.importance.GroupMagnitudeImportance(p=2),
        pruning_ratio=0.5,
        ignored_layers=[model[-1]],
    )
    with torch.no_grad():
        pruner.step()
    print(baseline.shape, model(example_inputs).shape)


if __name__ == "__main__":
    main()
