"""pytest_prune: prove in a test that a model prunes cleanly with Torch-Pruning.

Names are resolved lazily so that importing the package (as pytest does through the
pytest11 entry point) never imports torch.
"""
from __future__ import annotations

from typing import Any

from .errors import DeviceUnavailable, InvalidOption, PruneCheckFailure, TorchMissing

__all__ = ["check_prunable", "build_dependency_graph", "PruneReport", "PruneCheckFailure",
           "DeviceUnavailable", "InvalidOption", "TorchMissing", "DEFAULT_PROBES"]


def __getattr__(name: str) -> Any:
    if name == "check_prunable":
        from .check import check_prunable
        return check_prunable
    if name == "build_dependency_graph":
        from .graph import build_dependency_graph
        return build_dependency_graph
    if name == "PruneReport":
        from .report import PruneReport
        return PruneReport
    if name == "DEFAULT_PROBES":
        from .probes import DEFAULT_PROBES
        return DEFAULT_PROBES
    raise AttributeError(name)
