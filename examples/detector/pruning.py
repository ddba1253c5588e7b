"""Helpers that build a pruner. No grad mode here: the caller decides."""
import torch_pruning as tp


def build_pruner(model, example_inputs, ratio=0.5):
    importance = tp.importance.GroupMagnitudeImportance(p=2)
    return tp.pruner.BasePruner(model, example_inputs, importance=importance, pruning_ratio=ratio)
