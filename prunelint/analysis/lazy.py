"""libcst, loaded on first use.

A run over a tree that never mentions Torch-Pruning parses nothing, so it must not pay the
0.17 s that importing libcst costs. Rule modules import `cst` from here: the module object is
real, and the import runs the first time one of its attributes is read, i.e. inside a visitor.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_import(name: str) -> ModuleType:
    """`name` as a module that is executed on first attribute access (top-level packages only)."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"No module named {name!r}")
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


cst = lazy_import("libcst")
