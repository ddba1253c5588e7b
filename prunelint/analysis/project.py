"""The linted tree as a whole: which file a dotted name lives in, and what a call constructs."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Iterable, Literal, NamedTuple

from prunelint.analysis.facts import CallFact, ModuleFacts, Symbol
from prunelint.analysis.scopes import API_PACKAGES
from prunelint.settings.apidata import ApiData

TargetKind = Literal["pruner", "dependency_graph", "function", "class"]
MAX_HOPS = 16
_UNRESOLVED = object()


class Target(NamedTuple):
    """A resolved callee: a Torch-Pruning class, or a definition in a linted file."""

    kind: TargetKind
    path: str  # the defining file for project targets; "" for API targets
    qualname: str
    wrapping: str = ""  # "", "instance", "partial" or "super"
    member: str = ""  # an attribute taken from the wrapped value


class Lookups:
    """What resolution asks that does not depend on which files have been analysed: the API's
    classes by name, where a file's imports are looked up from, which files exist. A run
    builds the project again after each round of parsing; these answers are kept for all of
    its builds (the tree on disk does not change during a run)."""

    def __init__(self, roots: Iterable[str], api: ApiData) -> None:
        self.api = api
        self.roots = tuple(dict.fromkeys(os.path.abspath(r) for r in roots))
        self.absolute: dict[str, str] = {}
        # Where a file's imports are looked up from: the same for every call in it, and each
        # lookup of a package root tests for `__init__.py` on disk.
        self.bases: dict[tuple[str, int], tuple[str, ...]] = {}
        self.api_targets: dict[str, Target | None] = {}
        self.in_api_package: dict[tuple[str, int, str], Target | None] = {}
        self.is_file: dict[str, bool] = {}

    def exists(self, candidate: str) -> bool:
        found = self.is_file.get(candidate)
        if found is None:
            found = self.is_file[candidate] = os.path.isfile(candidate)
        return found


class Project:
    def __init__(
        self, facts: Iterable[ModuleFacts], roots: Iterable[str], api: ApiData, lookups: Lookups | None = None
    ) -> None:
        self.api = api
        self.facts: dict[str, ModuleFacts] = {os.path.abspath(f.path): f for f in facts}
        if lookups is None or lookups.api is not api:
            lookups = Lookups(roots, api)
        self._lookups = lookups
        self._roots = lookups.roots
        self._kinds: dict[tuple[str, str], str] = {}
        self._mros: dict[Target, list[Target]] = {}
        # Every file of a tree asks for `torch.nn...` again: each candidate is looked up once.
        self._module_files: dict[tuple[str, tuple[str, ...], bool], str | None] = {}
        self._absolute = lookups.absolute
        self._bases = lookups.bases
        self._resolved: dict[tuple[str, Symbol], Target | None] = {}
        self._finds: dict[tuple, tuple[str, tuple[str, ...]] | None] = {}
        # Every analysed file without `.py` and every folder above it: a module `base/a...`
        # can be an analysed file only where `base/a` is one of these.
        self._prefixes: set[str] = set()
        for known in self.facts:
            stem = known[:-3] if known.endswith(".py") else known
            while stem not in self._prefixes:
                self._prefixes.add(stem)
                parent = os.path.dirname(stem)
                if parent == stem:
                    break
                stem = parent

    # -- modules --------------------------------------------------------------------------------
    def _module_file(self, base: str, parts: list[str], on_disk: bool = False) -> str | None:
        key = (base, tuple(parts), on_disk)
        if key not in self._module_files:
            self._module_files[key] = next(
                (c for c in _module_files(base, parts) if c in self.facts or (on_disk and self._lookups.exists(c))), None
            )
        return self._module_files[key]

    def _find(
        self, path: str, symbol: Symbol, on_disk: bool = False, module: bool = False
    ) -> tuple[str, list[str]] | None:
        """The linted file that `symbol` points into, and the attribute path inside it.

        With `module`, the symbol names a module itself (a star import)."""
        relative = symbol.kind == "relative"
        level = symbol.level if relative else 0
        bases = self._bases.get((path, level))
        if bases is None:
            bases = self._bases[path, level] = _import_bases(path, level, self._roots)
        # The files of a tree import the same few modules (`os.path`, their own package's):
        # each is looked up once for every folder imports are looked up from.
        key = (bases, symbol.name, relative, on_disk, module)
        found = self._finds.get(key, _UNRESOLVED)
        if found is _UNRESOLVED:
            found = self._finds[key] = self._find_from(bases, symbol.name, relative, on_disk, module)
        return None if found is None else (found[0], list(found[1]))  # type: ignore[index]

    def _find_from(
        self, bases: tuple[str, ...], name: str, relative: bool, on_disk: bool, module: bool
    ) -> tuple[str, tuple[str, ...]] | None:
        parts = name.split(".") if name else []
        lowest = 0 if relative else 1
        top = len(parts) if module else len(parts) - 1
        for base in bases:
            if not on_disk and top >= 1 and lowest == 1 and os.path.join(base, parts[0]) not in self._prefixes:
                continue  # no analysed file is that module or inside that package (`argparse`)
            for i in range(top, lowest - 1, -1):
                found = self._module_file(base, parts[:i], on_disk)
                if found is not None:
                    return found, tuple(parts[i:])
        return None

    def imported_files_on_disk(self, paths: set[str] | None = None) -> set[str]:
        """Files that analysed code (of `paths`, default all) imports from but that are not
        analysed themselves.

        When only some files are linted (a pre-commit run on the staged files), the functions
        they call still live in the rest of the tree; these files are read for context.
        """
        wanted: set[str] = set()
        for path, facts in self.facts.items():
            if paths is not None and path not in paths:
                continue
            symbols = [call.callee for call in facts.calls]
            symbols += [base for cls in facts.classes.values() for base in cls.bases]
            symbols += list(facts.exports.values())
            stars = [(s, True) for s in facts.star_imports]
            # A file calls the same few names many times over: each is looked up once.
            for symbol, module in dict.fromkeys([(s, False) for s in symbols] + stars):
                if symbol.kind in ("local", "unbound") or symbol.name.split(".", 1)[0] in API_PACKAGES:
                    continue
                found = self._find(path, symbol, on_disk=True, module=module)
                if found is not None and found[0] not in self.facts:
                    wanted.add(found[0])
        return wanted

    # -- resolution -----------------------------------------------------------------------------
    def resolve(self, path: str, symbol: Symbol, depth: int = 0) -> Target | None:
        if depth:
            return self._resolve(path, symbol, depth)
        # Every file calls `torch.nn.Conv2d`, `print` and its own helpers many times over, and
        # the build index and the expansion words resolve each call: each is resolved once.
        key = (path, symbol)
        found = self._resolved.get(key, _UNRESOLVED)
        if found is _UNRESOLVED:
            found = self._resolved[key] = self._resolve(path, symbol, 0)
        return found  # type: ignore[return-value]

    def _resolve(self, path: str, symbol: Symbol, depth: int) -> Target | None:
        absolute = self._absolute.get(path)
        if absolute is None:
            absolute = self._absolute[path] = os.path.abspath(path)
        path = absolute
        if depth > MAX_HOPS:
            return None
        target = self._resolve_plain(path, symbol, depth)
        if target is None or not symbol.wrapping:
            return target
        return Target(target.kind, target.path, target.qualname, symbol.wrapping, symbol.member)

    def _resolve_plain(self, path: str, symbol: Symbol, depth: int) -> Target | None:
        if symbol.kind == "external":
            in_api = self._api_target(symbol.name)
            if in_api is not None:
                return in_api
            if symbol.name.split(".", 1)[0] in API_PACKAGES:
                return None
        if symbol.kind == "local":
            return self._in_module(path, symbol.name.split("."), depth)
        if symbol.kind == "unbound":
            return self._through_stars(path, symbol.name.split("."), depth)
        if symbol.kind == "relative":
            in_package = self._in_api_package(path, symbol)
            if in_package is not None:
                return in_package
        found = self._find(path, symbol)
        if found is None:
            return None
        return self._in_module(found[0], found[1], depth)

    def _in_api_package(self, path: str, symbol: Symbol) -> Target | None:
        """A relative import inside the tree's own copy of Torch-Pruning (the repository is a
        fork, or vendors it): `from .. import dependency` in `torch_pruning/pruner/x.py`
        names the same classes as the release's `torch_pruning.dependency`."""
        key = (path, symbol.level, symbol.name)
        known = self._lookups.in_api_package
        if key not in known:
            known[key] = self._find_in_api_package(path, symbol)
        return known[key]

    def _find_in_api_package(self, path: str, symbol: Symbol) -> Target | None:
        package = self.api.table("pruner_discovery").get("package", "torch_pruning")
        folder = os.path.dirname(path)
        for _ in range(symbol.level - 1):
            folder = os.path.dirname(folder)
        parts = os.path.normpath(folder).split(os.sep)
        if package not in parts or not symbol.name:
            return None
        inside = parts[len(parts) - 1 - parts[::-1].index(package) :]
        return self._api_target(".".join(inside + [symbol.name]))

    def _api_target(self, qualname: str) -> Target | None:
        """A Torch-Pruning pruner class or dependency graph class, by its qualified name."""
        known = self._lookups.api_targets
        if qualname not in known:
            known[qualname] = self._find_api_target(qualname)
        return known[qualname]

    def _find_api_target(self, qualname: str) -> Target | None:
        pruner = self.api.pruner_class(qualname)
        if pruner is not None:
            return Target("pruner", "", pruner)
        if self.api.is_graph_class(qualname):
            return Target("dependency_graph", "", self.api.release_name(qualname) or qualname)
        return None

    def _in_module(self, module_path: str, attrs: list[str], depth: int) -> Target | None:
        facts = self.facts.get(module_path)
        if facts is None or not attrs:
            return None
        name = ".".join(attrs)
        if name in facts.functions:
            return Target("function", module_path, name)
        if name in facts.classes:
            return Target("class", module_path, name)
        owner = ".".join(attrs[:-1])
        if owner in facts.classes:  # `Cls.method`, perhaps inherited from a base class
            return self.find_member(Target("class", module_path, owner), attrs[-1])
        head, rest = attrs[0], attrs[1:]
        exported = facts.exports.get(head)
        if exported is None:
            return self._through_stars(module_path, attrs, depth)
        # A re-export (`from .builders import build_pruner` in a package's __init__) or alias.
        if exported.kind == "local" and exported.name == head:
            return None
        return self.resolve(module_path, exported.attr(".".join(rest)), depth + 1)

    def _through_stars(self, module_path: str, attrs: list[str], depth: int) -> Target | None:
        """A name a module gets from `from M import *`: the last star import defining it wins."""
        facts = self.facts.get(module_path)
        if facts is None:
            return None
        for star in reversed(facts.star_imports):
            if star.kind == "external" and star.name.split(".", 1)[0] in API_PACKAGES:
                candidate = Symbol("external", f"{star.name}.{'.'.join(attrs)}")
                target = self._resolve_plain(module_path, candidate, depth + 1)
                if target is not None:
                    return target
                continue
            found = self._find(module_path, star, module=True)
            if found is None or found[1]:
                return None  # a module we cannot see may define the name
            target_facts = self.facts[found[0]]
            if attrs[0] in target_facts.functions or attrs[0] in target_facts.classes or attrs[0] in target_facts.exports:
                return self._in_module(found[0], attrs, depth + 1)
            if target_facts.star_imports:
                nested = self._through_stars(found[0], attrs, depth + 1)
                if nested is not None:
                    return nested
        return None

    # -- classes --------------------------------------------------------------------------------
    def bases(self, target: Target) -> list[Target]:
        if target.kind != "class":
            return []
        cls = self.facts[target.path].classes[target.qualname]
        found = []
        for base in cls.bases:
            resolved = self.resolve(target.path, base)
            if resolved is not None and not resolved.wrapping:
                found.append(resolved)
        return found

    def mro(self, target: Target) -> list[Target]:
        """The class and its bases, depth first, left to right; each once, without recursion."""
        if target not in self._mros:
            self._mros[target] = self._linearise(target)
        return self._mros[target]

    def _linearise(self, target: Target) -> list[Target]:
        order: list[Target] = []
        seen: set[Target] = set()
        stack = [target]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            if current in self._mros and current != target:
                # Reuse a base's order: deep hierarchies stay linear, not quadratic.
                fresh = [t for t in self._mros[current] if t not in seen]
                order.extend(fresh)
                seen.update(fresh)
                continue
            seen.add(current)
            order.append(current)
            stack.extend(reversed(self.bases(current)))
        return order

    def find_member(self, cls: Target, name: str, skip_self: bool = False) -> Target | None:
        for owner in self.mro(cls)[1 if skip_self else 0 :]:
            if owner.kind != "class":
                continue
            qualname = f"{owner.qualname}.{name}"
            if qualname in self.facts[owner.path].functions:
                return Target("function", owner.path, qualname)
        return None

    def class_kind(self, target: Target) -> str:
        """"pruner" or "dependency_graph" for a class derived from one, else ""."""
        if target.kind in ("pruner", "dependency_graph"):
            return target.kind
        if target.kind != "class":
            return ""
        key = (target.path, target.qualname)
        if key not in self._kinds:
            self._kinds[key] = next(
                (t.kind for t in self.mro(target) if t.kind in ("pruner", "dependency_graph")), ""
            )
        return self._kinds[key]

    def is_pruner_class(self, target: Target) -> bool:
        return self.class_kind(target) == "pruner"

    # -- what a call does -----------------------------------------------------------------------
    def _constructor(self, cls: Target) -> Target | None:
        """The `__init__` a call of this class runs, when the linted tree defines one."""
        return self.find_member(cls, "__init__") if cls.kind == "class" else None

    def traces(self, target: Target, method: str) -> bool:
        """Does calling this target (with `method` on an instance) trace the model directly?"""
        method = method or target.member
        kind = self.class_kind(target)
        if target.wrapping == "instance":
            return kind == "dependency_graph" and method in self.api.tracing_methods
        if target.wrapping == "super":
            # `super().__init__(...)` in a pruner subclass reaches Torch-Pruning's constructor,
            # unless a class in between defines its own.
            if method != "__init__" or kind != "pruner":
                return False
            return self.find_member(target, "__init__", skip_self=True) is None
        if method or target.wrapping not in ("", "partial"):
            return False
        return kind == "pruner" and self._constructor(target) is None

    def callee_function(self, target: Target, method: str) -> tuple[str, str] | None:
        """The linted function a call runs: a function, a method, or a class's `__init__`."""
        method = method or target.member
        found: Target | None = None
        if target.wrapping == "instance" and target.kind == "class" and method:
            found = self.find_member(target, method)
        elif target.wrapping == "super" and method:
            found = self.find_member(target, method, skip_self=True)
        elif method:
            return None
        elif target.kind == "function" and target.wrapping in ("", "partial"):
            found = target
        elif target.kind == "class" and target.wrapping in ("", "partial"):
            found = self._constructor(target)
        if found is None:
            return None
        return found.path, found.qualname

    def deferred(self, function: tuple[str, str]) -> bool:
        path, qualname = function
        fact = self.facts[path].functions.get(qualname)
        return fact is not None and fact.deferred

    def calls(self) -> Iterable[tuple[str, CallFact]]:
        """Every call of every file, with the file's absolute path."""
        for path, facts in self.facts.items():
            for call in facts.calls:
                yield path, call


def local_module_file(path: str, module: str, level: int, roots: Iterable[str]) -> str | None:
    """The file on disk that `import module` (or `from ...module`) in `path` would load, if it
    is one of the user's files rather than an installed package."""
    parts = [p for p in module.split(".") if p]
    if not level and not parts:
        return None
    absolute_roots = tuple(os.path.abspath(r) for r in roots)
    for base in _import_bases(os.path.abspath(path), level, absolute_roots):
        for candidate in _module_files(base, parts):
            if os.path.isfile(candidate):
                return candidate
    return None


def import_name_parts(path: str, roots: Iterable[str]) -> set[str]:
    """The names an absolute import of the file can be spelled with, as `local_module_file`
    looks it up: the file's module name and each package between it and a folder imports are
    looked up from (`pkg`, `sub` and `module` for `pkg/sub/module.py`)."""
    path = os.path.abspath(path)
    bases = _import_bases(path, 0, tuple(os.path.abspath(r) for r in roots))
    outermost = min(bases, key=len)
    folder, filename = os.path.split(path)
    stem = filename.split(".", 1)[0]
    parts = set() if stem == "__init__" else {stem}
    while len(folder) > len(outermost) and folder.startswith(outermost):
        folder, name = os.path.split(folder)
        parts.add(name)
    return {part for part in parts if part.isidentifier()}


def _import_bases(path: str, level: int, roots: tuple[str, ...]) -> tuple[str, ...]:
    """The folders an import in `path` is looked up from: `level` dots up for a relative one;
    else the folder of its top-level package, then the roots (absolute) that contain the file.
    Python would not look in the working folder for a script elsewhere."""
    if level:
        base = os.path.dirname(path)
        for _ in range(level - 1):
            base = os.path.dirname(base)
        return (base,)
    inside = tuple(root for root in roots if path.startswith(root + os.sep))
    return (_import_root(os.path.dirname(path)), *inside)


def _module_files(base: str, parts: list[str]) -> tuple[str, str]:
    stem = os.path.join(base, *parts)
    return stem + ".py", os.path.join(stem, "__init__.py")


@lru_cache(maxsize=4096)
def _import_root(directory: str) -> str:
    """The folder Python would import this file's top-level package from."""
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return directory
