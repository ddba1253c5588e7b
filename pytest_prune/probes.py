"""Channel-selection probes: which channels each pruning attempt removes.

A model can prune cleanly for the channels the importance ranking picks and break for
others (Torch-Pruning 1.6 index mapping through concat + grouped conv is one such case),
so besides the ranking we try seeded random selections.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Sequence, Union

import torch
import torch_pruning as tp

ProbeSpec = Union[int, str, Sequence[str]]

DEFAULT_PROBES = ("importance", "random:0", "random:1")


class SeededRandomImportance(tp.importance.Importance):
    """Random scores from a private generator, so the global RNG is never consumed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.generator = torch.Generator(device="cpu").manual_seed(seed)

    @torch.no_grad()
    def __call__(self, group: Any) -> torch.Tensor:
        return torch.rand(len(group[0].idxs), generator=self.generator)


@dataclass(frozen=True)
class Probe:
    name: str
    seed: int = -1  # -1: the importance ranking

    def make_importance(self, importance: Any) -> Any:
        if self.seed < 0:
            return importance if importance is not None else tp.importance.MagnitudeImportance(p=2)
        # A fresh generator per attempt keeps replays (used to localise a failure) identical.
        return SeededRandomImportance(self.seed)


def parse_probes(spec: ProbeSpec) -> List[Probe]:
    """`int` N -> the importance ranking plus N random selections; or names like "random:3"."""
    if isinstance(spec, bool):
        raise TypeError("probes must be an int or a sequence of probe names, not a bool")
    if isinstance(spec, int):
        if spec < 0:
            raise ValueError("probes must be >= 0")
        names: Sequence[str] = ["importance"] + [f"random:{i}" for i in range(spec)]
    elif isinstance(spec, str):
        names = [s.strip() for s in spec.split(",") if s.strip()]
    else:
        names = list(spec)
    probes: List[Probe] = []
    for name in names:
        if name == "importance":
            probes.append(Probe("importance"))
        elif name.startswith("random:"):
            probes.append(Probe(name, seed=int(name.split(":", 1)[1])))
        else:
            raise ValueError(f"unknown probe {name!r}: use 'importance' or 'random:<seed>'")
    if not probes:
        raise ValueError("at least one probe is needed")
    return probes

