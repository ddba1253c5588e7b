"""Which Torch-Pruning a file imports: the installed release, or a copy its own tree ships.

Research code often vendors an older `torch_pruning/` beside its scripts (Diff-Pruning's
`ddpm_exp/torch_pruning`, projective-pruning's top-level copy). There `import torch_pruning`
finds the copy first, because Python puts a script's folder (or the project root it runs from)
ahead of site-packages. What that copy calls `MagnitudePruner` or `ch_sparsity` is its current
API, not a deprecated one, and rewriting it to today's names breaks the import.

A copy counts as today's API when its pruner package defines `BasePruner` (Torch-Pruning 1.5
renamed `MetaPruner` to it); Torch-Pruning's own repository is such a tree.
"""

from __future__ import annotations

import os
import re

PACKAGE = "torch_pruning"
# Bounds on what is read of a copy: its pruner package is a few dozen small files.
MAX_FILES = 400
MAX_BYTES = 4 * 1024 * 1024
_CURRENT = re.compile(rb"\bclass\s+BasePruner\b|\bBasePruner\s*=")


def tree_copy(path: str, roots: tuple[str, ...]) -> str | None:
    """The folder of the `torch_pruning` package that `import torch_pruning` in `path` finds in
    its own tree: in the file's folder or a folder above it, up to the root it lies under."""
    folder = os.path.dirname(os.path.abspath(path))
    top = _root_of(folder, roots)
    while True:
        candidate = os.path.join(folder, PACKAGE)
        if os.path.isfile(os.path.join(candidate, "__init__.py")):
            return candidate
        parent = os.path.dirname(folder)
        if top is None or folder == top or parent == folder:
            return None
        folder = parent


def is_current(copy: str) -> bool:
    """Whether the copy's pruner package defines `BasePruner` (read within bounds)."""
    files = 0
    read = 0
    for folder, dirs, names in os.walk(os.path.join(copy, "pruner")):
        dirs.sort()
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            files += 1
            if files > MAX_FILES or read > MAX_BYTES:
                return True  # too big to be an old vendored copy: judge it as the release
            try:
                with open(os.path.join(folder, name), "rb") as handle:
                    data = handle.read(MAX_BYTES)
            except OSError:
                continue
            read += len(data)
            if _CURRENT.search(data):
                return True
    return False


def imports_older_copy(path: str, roots: tuple[str, ...]) -> bool:
    """`import torch_pruning` in this file finds an older copy shipped in its tree."""
    return Copies().imports_older_copy(path, roots)


class Copies:
    """`imports_older_copy` for the files of one run: every file of a tree finds the same copy
    (all of Torch-Pruning's own files find its `torch_pruning/`), whose pruner package is read
    once, not once per file."""

    def __init__(self) -> None:
        self._current: dict[str, bool] = {}

    def imports_older_copy(self, path: str, roots: tuple[str, ...]) -> bool:
        copy = tree_copy(path, roots)
        if copy is None:
            return False
        if copy not in self._current:
            self._current[copy] = is_current(copy)
        return not self._current[copy]


def _root_of(folder: str, roots: tuple[str, ...]) -> str | None:
    best = None
    for root in roots:
        root = os.path.abspath(root)
        if folder == root or folder.startswith(root.rstrip(os.sep) + os.sep):
            if best is None or len(root) > len(best):
                best = root
    return best
