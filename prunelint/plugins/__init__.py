"""Rules from other packages, through pluggy: `from prunelint.plugins import hookimpl`.

`hookimpl` is made on first use: a run with no third-party plugin never imports pluggy (its
import, with inspect, is about 15 ms of a run; see `registry.load_rules`).
"""

from __future__ import annotations

from typing import Any

# The entry point group, and pluggy's project name.
PROJECT_NAME = "prunelint"

__all__ = ["PROJECT_NAME", "hookimpl"]


def __getattr__(name: str) -> Any:
    if name == "hookimpl":
        from prunelint.plugins.hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
