"""The linted tree as a whole: which file a dotted name lives in, and what a call constructs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Literal

from prunelint.analysis.facts import CallFact, ModuleFacts, Symbol
from prunelint.apidata import ApiData

TargetKind = Literal["pruner", "dependency_graph", "function", "class"]


@dataclass(frozen=True)
class Target:
    """A resolved callee: a Torch-Pruning class, or a definition in a linted file."""

    kind: TargetKind
    path: str  # the defining file for project targets; "" for API targets
    qualname: str
    wrapping: str = ""


class Project:
    def __init__(self, facts: Iterable[ModuleFacts], roots: Iterable[str], api: ApiData) -> None:
        self.api = api
        self.facts: dict[str, ModuleFacts] = {os.path.abspath(f.path): f for f in facts}
        self._roots = tuple(dict.fromkeys(os.path.abspath(r) for r in roots))
        self._constructor_cache: dict[tuple[str, str], bool] = {}

    def facts_for(self, path: str) -> ModuleFacts | None:
        return self.facts.get(os.path.abspath(path))

    # -- modules --------------------------------------------------------------------------------
    def _module_file(self, base: str, parts: list[str], on_disk: bool = False) -> str | None:
        stem = os.path.join(base, *parts)
        for candidate in (stem + ".py", os.path.join(stem, "__init__.py")):
            if candidate in self.facts or (on_disk and os.path.isfile(candidate)):
                return candidate
        return None

    def _import_roots(self, path: str) -> tuple[str, ...]:
        return (_import_root(os.path.dirname(path)),) + self._roots

    def _find(self, path: str, symbol: Symbol, on_disk: bool = False) -> tuple[str, list[str]] | None:
        """The linted file that `symbol` points into, and the attribute path inside it."""
        parts = symbol.name.split(".") if symbol.name else []
        if symbol.kind == "relative":
            base = os.path.dirname(path)
            for _ in range(symbol.level - 1):
                base = os.path.dirname(base)
            bases: tuple[str, ...] = (base,)
            lowest = 0
        else:
            bases = self._import_roots(path)
            lowest = 1
        for base in bases:
            for i in range(len(parts) - 1, lowest - 1, -1):
                found = self._module_file(base, parts[:i], on_disk)
                if found is not None:
                    return found, parts[i:]
        return None

    def imported_files_on_disk(self) -> set[str]:
        """Files that analysed code imports from but that are not analysed themselves.

        When only some files are linted (a pre-commit run on the staged files), the functions
        they call still live in the rest of the tree; these files are read for context.
        """
        wanted: set[str] = set()
        for path, facts in self.facts.items():
            symbols = [call.callee for call in facts.calls]
            symbols += [base for cls in facts.classes.values() for base in cls.bases]
            symbols += list(facts.exports.values())
            for symbol in symbols:
                if symbol.kind == "local" or self._is_api(symbol.name):
                    continue
                found = self._find(path, symbol, on_disk=True)
                if found is not None and found[0] not in self.facts:
                    wanted.add(found[0])
        return wanted

    def _is_api(self, name: str) -> bool:
        return name.split(".", 1)[0] in ("torch", "torch_pruning")

    # -- resolution -----------------------------------------------------------------------------
    def resolve(self, path: str, symbol: Symbol, depth: int = 0) -> Target | None:
        path = os.path.abspath(path)
        api = self.api
        if depth > 8:
            return None
        if symbol.kind == "external":
            if symbol.name in api.pruner_classes:
                return Target("pruner", "", api.pruner_classes[symbol.name], symbol.wrapping)
            if symbol.name in api.dependency_graph_classes:
                return Target("dependency_graph", "", symbol.name, symbol.wrapping)
        if symbol.kind == "local":
            found: tuple[str, list[str]] | None = (path, symbol.name.split("."))
        else:
            found = self._find(path, symbol)
        if found is None:
            return None
        module_path, attrs = found
        target = self._in_module(module_path, attrs, depth)
        if target is not None and symbol.wrapping:
            return Target(target.kind, target.path, target.qualname, symbol.wrapping)
        return target

    def _in_module(self, module_path: str, attrs: list[str], depth: int) -> Target | None:
        facts = self.facts.get(module_path)
        if facts is None or not attrs:
            return None
        name = ".".join(attrs)
        if name in facts.functions:
            return Target("function", module_path, name)
        if name in facts.classes:
            return Target("class", module_path, name)
        head, rest = attrs[0], attrs[1:]
        exported = facts.exports.get(head)
        if exported is None or exported.kind == "local":
            return None
        # A re-export (`from .builders import build_pruner` in a package's __init__) or alias.
        return self.resolve(module_path, exported.attr(".".join(rest)), depth + 1)

    # -- what a call does -----------------------------------------------------------------------
    def is_pruner_class(self, target: Target) -> bool:
        """A Torch-Pruning pruner class, or a class of the linted tree derived from one."""
        if target.kind == "pruner":
            return True
        if target.kind != "class":
            return False
        key = (target.path, target.qualname)
        if key not in self._constructor_cache:
            self._constructor_cache[key] = False  # a cycle of bases is not a pruner
            cls = self.facts[target.path].classes[target.qualname]
            self._constructor_cache[key] = any(
                (base_target := self.resolve(target.path, base)) is not None
                and not base_target.wrapping
                and self.is_pruner_class(base_target)
                for base in cls.bases
            )
        return self._constructor_cache[key]

    def traces(self, target: Target, method: str) -> bool:
        """Does calling this target (with `method` on an instance) trace the model?"""
        if target.kind == "dependency_graph":
            return target.wrapping == "instance" and method in self.api.tracing_methods
        if target.wrapping == "instance" or method:
            return False
        return self.is_pruner_class(target)

    def callee_function(self, target: Target, method: str) -> tuple[str, str] | None:
        """The linted function a call runs: a function, or the `__init__` of a class."""
        if target.wrapping or method:
            return None
        if target.kind == "function":
            return target.path, target.qualname
        if target.kind == "class":
            init = f"{target.qualname}.__init__"
            if init in self.facts[target.path].functions:
                return target.path, init
        return None

    def calls(self) -> Iterable[tuple[ModuleFacts, CallFact]]:
        for facts in self.facts.values():
            for call in facts.calls:
                yield facts, call


def local_module_file(path: str, module: str, level: int, roots: Iterable[str]) -> str | None:
    """The file on disk that `import module` (or `from ...module`) in `path` would load, if it
    is one of the user's files rather than an installed package."""
    parts = [p for p in module.split(".") if p]
    if level:
        base = os.path.dirname(os.path.abspath(path))
        for _ in range(level - 1):
            base = os.path.dirname(base)
        bases: tuple[str, ...] = (base,)
    else:
        if not parts:
            return None
        bases = (_import_root(os.path.dirname(os.path.abspath(path))), *roots)
    for base in bases:
        stem = os.path.join(base, *parts)
        for candidate in (stem + ".py", os.path.join(stem, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
    return None


@lru_cache(maxsize=4096)
def _import_root(directory: str) -> str:
    """The folder Python would import this file's top-level package from."""
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return directory

