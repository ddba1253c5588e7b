import torch_pruning as tp

def broken(:  # expect: PRL000
    pass
