"""A validation entry point that also prunes: the decorator puts everything in inference mode."""
import torch

from pruning import build_pruner
from utils.torch_utils import smart_inference_mode


@smart_inference_mode()
def run(model, example_inputs):
    metrics = model(example_inputs)
    with torch.enable_grad():
        # enable_grad() does not leave inference mode: still traced with autograd off.
        pruner = build_pruner(model, example_inputs)  # PRL001, through another module
    pruner.step()
    return metrics
