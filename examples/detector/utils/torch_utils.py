"""Vendored in the style of yolov5/yolov9 utils/torch_utils.py."""
import torch


def smart_inference_mode(torch_1_9=True):
    def decorate(fn):
        return (torch.inference_mode if torch_1_9 else torch.no_grad)()(fn)

    return decorate
