"""PRL001's recall on real code: every pruner or graph construction of a repository, wrapped in
place in four ways that switch autograd off, then the whole repository linted.

    python bench/mutation.py --sites bench/mutation_sites.tsv ../repos/Torch-Pruning ../repos/fasterai ...

1. **Sites**, found here with CPython's `ast` and nothing of prunelint's: every call that builds
   a Torch-Pruning pruner or dependency graph, with the shape of the value it reaches the class
   through:
     direct    `tp.pruner.GroupNormPruner(...)`, `MetaPruner(...)` imported from torch_pruning
     fork      the same, of a class the fork's own `torch_pruning/pruner` adds (`VBPPruner`)
     vendored  through a copy of the package inside another one (`LLMPruner.torch_pruning`)
     star      a class name from `from torch_pruning.pruner import *`
     graph     `DependencyGraph().build_dependency(...)`
     partial   a name bound to `partial(<pruner class>, ...)` in the same scope
     loop      a name looping over a literal list of pruner classes
     registry  a subscript or `.get` of a literal dict or list of pruner classes
     getattr   `getattr(tp.pruner, name)(...)`
     subclass  an in-tree subclass of a pruner class
     wrapper   an in-tree function or class whose body builds one (fasterai's `Pruner`), called
               by a name defined in the file, imported from the tree, or star-imported from it
     parameter a pruner class passed to an in-tree function (or class) that calls that parameter
   The pruner classes are those of Torch-Pruning 1.6.1 (read from the installed package's
   `pruner/algorithms`), plus the `*Pruner` classes of the repository's own `torch_pruning/`.
   Per-layer pruning functions (`ConvPruner`, subclasses of `BasePruningFunc`) are not pruners.
2. **Mutations**: the statement holding the site is wrapped in `with torch.no_grad():`, in
   `with torch.set_grad_enabled(False):`, in `with torch.inference_mode():` + `with
   torch.enable_grad():`, or its enclosing function gets `@torch.no_grad()` (no function: not
   applicable). `import torch` is added at the top. One site per file per run: each run mutates
   the K-th site of every file at once, and lints the whole copy of the repository.
3. **Verdict**: caught if prunelint reports PRL001 on a line of the wrapped statement.

The report: per repository and per shape, sites and caught, and every miss (`--misses FILE`).
`--sites FILE` writes the site table (repo, path, line, shape).
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

FORMS = ("no_grad", "set_grad_enabled", "decorator", "inference_enable_grad")
INDIRECT = ("wrapper", "subclass", "parameter")
NOT_PRUNERS = {"PrunerBox", "BasePruningFunc"}


@dataclass
class Site:
    repo: str
    path: str  # relative to the repository
    line: int
    end: int  # the statement that holds the call
    col: int
    shape: str
    text: str
    function: tuple[int, int] | None = None  # (first line of decorators/def, indent) or None
    stmt_line: int = 0  # where the statement starts


@dataclass
class Module:
    path: Path
    rel: str
    tree: ast.Module
    lines: list[str]
    tp_aliases: dict[str, str] = field(default_factory=dict)  # local name -> module path
    imported: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # name -> (module, attr, level)
    star: list[tuple[str, int]] = field(default_factory=list)
    parents: dict = field(default_factory=dict)
    scope_bindings: dict = field(default_factory=dict)

    def bindings(self, scope: ast.AST) -> dict[str, list[ast.AST]]:
        if id(scope) not in self.scope_bindings:
            self.scope_bindings[id(scope)] = _bindings(scope)
        return self.scope_bindings[id(scope)]


def release_pruners() -> set[str]:
    """The pruner classes of the installed Torch-Pruning: classes of pruner/algorithms and the
    aliases bound there (`MetaPruner = BasePruner`)."""
    import importlib.util

    spec = importlib.util.find_spec("torch_pruning")
    if spec is None or spec.origin is None:
        raise SystemExit("Torch-Pruning must be installed: its pruner classes are read from it")
    folder = Path(spec.origin).parent / "pruner" / "algorithms"
    trees = [ast.parse(file.read_text("utf-8")) for file in sorted(folder.glob("*.py"))]
    names = {n.name for t in trees for n in ast.walk(t) if isinstance(n, ast.ClassDef) and n.name.endswith("Pruner")}
    for tree in trees:  # then the aliases, wherever their class is defined
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in names:
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def fork_pruners(root: Path, release: set[str]) -> set[str]:
    """`*Pruner` classes defined in the repository's own copies of `torch_pruning/pruner`,
    outside the per-layer `function` module."""
    names = set()
    for file in root.rglob("*.py"):
        parts = file.relative_to(root).parts
        if "torch_pruning" not in parts or "pruner" not in parts or "function.py" in parts:
            continue
        try:
            tree = ast.parse(file.read_text("utf-8", errors="replace"))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Pruner") and node.name not in NOT_PRUNERS:
                bases = {_dotted(b) or "" for b in node.bases}
                if not any(b.rsplit(".", 1)[-1] in ("BasePruningFunc", "nn.Module", "Module") for b in bases):
                    names.add(node.name)
    return names - release


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def load(root: Path, file: Path) -> Module | None:
    try:
        text = file.read_text("utf-8")
        tree = ast.parse(text)
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError):
        return None
    module = Module(file, file.relative_to(root).as_posix(), tree, text.splitlines(keepends=True))
    module.parents = _parents(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[-1] == "torch_pruning" or ".torch_pruning." in f".{alias.name}.":
                    local = alias.asname or alias.name.split(".")[0]
                    module.tp_aliases[local] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            for alias in node.names:
                if alias.name == "*":
                    module.star.append((source, node.level))
                    continue
                local = alias.asname or alias.name
                full = f"{source}.{alias.name}" if source else alias.name
                if full.split(".")[-1] == "torch_pruning" or "torch_pruning." in f"{full}.":
                    if alias.name == "torch_pruning" or alias.name in ("pruner", "algorithms"):
                        module.tp_aliases[local] = full
                module.imported[local] = (source, alias.name, node.level)
    return module


def _is_tp_path(path: str) -> bool:
    return "torch_pruning" in path.split(".")


def _vendored(path: str) -> bool:
    return _is_tp_path(path) and path.split(".")[0] != "torch_pruning"


def pruner_ref(module: Module, node: ast.AST, pruners: set[str]) -> str | None:
    """The shape by which `node` names a pruner class, or None: `tp.pruner.X`, `X` imported
    from torch_pruning, or `X` from a star import of it."""
    dotted = _dotted(node)
    if dotted is None:
        return None
    head, _, rest = dotted.partition(".")
    last = dotted.rsplit(".", 1)[-1]
    if last not in pruners:
        return None
    if rest and head in module.tp_aliases:
        return "vendored" if _vendored(module.tp_aliases[head]) else "direct"
    if not rest and head in module.imported:
        source, _attr, level = module.imported[head]
        if level == 0 and _is_tp_path(source):
            return "vendored" if _vendored(source) else "direct"
    if not rest and head not in module.imported and any(_is_tp_path(s) for s, level in module.star if level == 0):
        return "star"
    return None


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    return parents


def _scope_of(node: ast.AST, parents: dict) -> ast.AST:
    while node in parents:
        node = parents[node]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.Module)):
            return node
    return node


def _statement(node: ast.AST, parents: dict) -> ast.stmt | None:
    while node in parents and not isinstance(node, ast.stmt):
        node = parents[node]
    return node if isinstance(node, ast.stmt) else None


def _bindings(scope: ast.AST) -> dict[str, list[ast.AST]]:
    """name -> the values assigned to it in `scope` (not in nested functions)."""
    found: dict[str, list[ast.AST]] = collections.defaultdict(list)
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id].append(node.value)
        stack.extend(ast.iter_child_nodes(node))
    return found


def value_shape(module: Module, value: ast.AST, pruners: set[str], bindings: dict) -> str | None:
    """The shape of a value that is a pruner class, or a partial of one, or an element of a
    literal container of them."""
    if isinstance(value, ast.Call) and (_dotted(value.func) or "").rsplit(".", 1)[-1] == "partial" and value.args:
        return "partial" if pruner_ref(module, value.args[0], pruners) else None
    if isinstance(value, ast.Subscript) or (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "get"):
        container = value.value if isinstance(value, ast.Subscript) else value.func.value
        if isinstance(container, ast.Name):
            for literal in bindings.get(container.id, []) + module.bindings(module.tree).get(container.id, []):
                if _holds_pruner(module, literal, pruners):
                    return "registry"
        return None
    return None


def _holds_pruner(module: Module, literal: ast.AST, pruners: set[str]) -> bool:
    if isinstance(literal, (ast.List, ast.Tuple, ast.Set)):
        return any(pruner_ref(module, e, pruners) for e in literal.elts)
    if isinstance(literal, ast.Dict):
        return any(pruner_ref(module, v, pruners) for v in literal.values)
    return False


def find_sites(repo: str, root: Path, pruners: set[str], release: set[str]) -> list[Site]:
    modules = [m for f in sorted(root.rglob("*.py")) if (m := load(root, f)) is not None]
    by_rel = {m.rel: m for m in modules}
    builders: dict[str, set[str]] = collections.defaultdict(set)  # rel -> in-tree names that build
    subclasses: dict[str, set[str]] = collections.defaultdict(set)
    direct_sites: list[tuple[Module, ast.Call, str]] = []
    for module in modules:
        if not module.tp_aliases and not module.imported and not module.star:
            continue
        parents = module.parents
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ClassDef) and any(pruner_ref(module, b, pruners) for b in node.bases):
                subclasses[module.rel].add(node.name)
            if not isinstance(node, ast.Call):
                continue
            shape = _call_shape(module, node, pruners, parents)
            if shape is None:
                continue
            if shape == "direct" and (_dotted(node.func) or "").rsplit(".", 1)[-1] not in release:
                shape = "fork"
            direct_sites.append((module, node, shape))
            owner = _top_owner(node, parents)
            if owner is not None and shape in ("direct", "fork", "vendored", "star", "graph"):
                builders[module.rel].add(owner)
    callers_of_params = _param_callers(modules)
    sites = [_site(repo, m, call, shape, m.parents) for m, call, shape in direct_sites]
    seen = {(s.path, s.line, s.col) for s in sites if s is not None}
    index = _ModuleIndex(by_rel)
    # One level of in-tree wrappers and subclasses, by the names they are called through.
    for module in modules:
        _parameter_sites(repo, module, index, callers_of_params, pruners, sites, seen)
        names = _visible(module, index, builders, subclasses)
        if not names:
            continue
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
                site = _site(repo, module, node, names[node.func.id], module.parents)
                if site is not None and (site.path, site.line, site.col) not in seen:
                    seen.add((site.path, site.line, site.col))
                    sites.append(site)
    return [s for s in sites if s is not None]


def _param_callers(modules: list[Module]) -> dict[tuple[str, str], dict[str, int]]:
    """Module-level functions, and classes by their `__init__`, that call one of their own
    parameters: (file, name) -> {parameter: position among the arguments a caller passes}."""
    found: dict[tuple[str, str], dict[str, int]] = {}
    for module in modules:
        for node in module.tree.body:
            function, offset, name = node, 0, getattr(node, "name", "")
            if isinstance(node, ast.ClassDef):
                inits = [n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"]
                if not inits:
                    continue
                function, offset = inits[0], 1
            if not isinstance(function, ast.FunctionDef):
                continue
            params = [a.arg for a in function.args.posonlyargs + function.args.args]
            rebound = set(_bindings(function))
            called = {
                n.func.id for n in ast.walk(function)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in params and n.func.id not in rebound
            }
            if called:
                found[(module.rel, name)] = {p: params.index(p) - offset for p in called}
    return found


def _parameter_sites(repo, module, index, callers_of_params, pruners, sites, seen) -> None:
    """Calls that pass a pruner class to a function of the tree that calls that parameter."""
    local = {name: (module.rel, name) for rel, name in callers_of_params if rel == module.rel}
    for alias, (source, attr, level) in module.imported.items():
        for rel in index.files(module, source, level):
            if (rel, attr) in callers_of_params:
                local[alias] = (rel, attr)
    if not local:
        return
    for node in ast.walk(module.tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in local):
            continue
        params = callers_of_params[local[node.func.id]]
        passed = [(node.args[i] if 0 <= i < len(node.args) else None) for i in params.values()]
        passed += [k.value for k in node.keywords if k.arg in params]
        if any(p is not None and pruner_ref(module, p, pruners) for p in passed):
            site = _site(repo, module, node, "parameter", module.parents)
            if site is not None and (site.path, site.line, site.col) not in seen:
                seen.add((site.path, site.line, site.col))
                sites.append(site)


def _call_shape(module: Module, node: ast.Call, pruners: set[str], parents: dict) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "build_dependency" and module.tp_aliases | module.imported:
        return "graph"
    shape = pruner_ref(module, func, pruners)
    if shape is not None:
        return shape
    if isinstance(func, ast.Call) and _dotted(func.func) == "getattr" and func.args:
        head = (_dotted(func.args[0]) or "").split(".")[0]
        return "getattr" if head in module.tp_aliases else None
    if isinstance(func, (ast.Subscript, ast.Call)):
        scope = _scope_of(node, parents)
        return value_shape(module, func, pruners, module.bindings(scope))
    if isinstance(func, ast.Name):
        scope = _scope_of(node, parents)
        # A loop over a literal list of pruner classes.
        parent = node
        while parent in parents:
            parent = parents[parent]
            if isinstance(parent, ast.For) and isinstance(parent.target, ast.Name) and parent.target.id == func.id:
                if _holds_pruner(module, parent.iter, pruners):
                    return "loop"
        for value in module.bindings(scope).get(func.id, []):
            shape = value_shape(module, value, pruners, module.bindings(scope))
            if shape is not None:
                return shape
    return None


def _top_owner(node: ast.AST, parents: dict) -> str | None:
    """The module-level function whose own body holds `node`, or the module-level class whose
    `__init__` does: calling it by name runs the construction."""
    inner = None
    while node in parents:
        node = parents[node]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and inner is None:
            inner = node
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and isinstance(parents.get(node), ast.Module):
            if isinstance(node, ast.FunctionDef) and inner is node:
                return node.name
            if isinstance(node, ast.ClassDef) and isinstance(inner, ast.FunctionDef) and inner.name == "__init__" and parents.get(inner) is node:
                return node.name
            return None
    return None


class _ModuleIndex:
    """The tree's files by module path, for `from X import name` between them."""

    def __init__(self, by_rel: dict[str, Module]) -> None:
        self.by_rel = by_rel
        self.by_tail: dict[str, list[str]] = collections.defaultdict(list)
        for rel in by_rel:
            parts = Path(rel).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            for i in range(len(parts)):
                self.by_tail[".".join(parts[i:])].append(rel)

    def files(self, module: Module, source: str, level: int) -> list[str]:
        """The files that `from <level dots><source> import` in `module` may load."""
        parts = [p for p in source.split(".") if p]
        if not level:
            return self.by_tail.get(".".join(parts), []) if parts else []
        base = Path(module.rel).parent
        for _ in range(level - 1):
            base = base.parent
        candidate = base.joinpath(*parts).as_posix()
        found = []
        for rel in (f"{candidate}.py", f"{candidate}/__init__.py"):
            rel = os.path.normpath(rel)
            if rel in self.by_rel:
                found.append(rel)
        return found


def _visible(module: Module, index: _ModuleIndex, builders, subclasses, depth: int = 0) -> dict[str, str]:
    """In-tree names that build a pruner and that `module` can call by name."""
    names = {n: "wrapper" for n in builders.get(module.rel, ())}
    names.update({n: "subclass" for n in subclasses.get(module.rel, ())})
    if depth >= 3:
        return names
    for local, (source, attr, level) in module.imported.items():
        for rel in index.files(module, source, level):
            inner = _visible(index.by_rel[rel], index, builders, subclasses, depth + 1)
            if attr in inner:
                names[local] = inner[attr]
    for source, level in module.star:
        for rel in index.files(module, source, level):
            names.update(_visible(index.by_rel[rel], index, builders, subclasses, depth + 1))
    return names


def _site(repo: str, module: Module, call: ast.Call, shape: str, parents: dict) -> Site | None:
    stmt = _statement(call, parents)
    if stmt is None:
        return None
    function = None
    node: ast.AST = call
    while node in parents:
        node = parents[node]
        if isinstance(node, (ast.Lambda, ast.AsyncFunctionDef)):
            break
        if isinstance(node, ast.FunctionDef):
            first = min([d.lineno for d in node.decorator_list] + [node.lineno])
            function = (first, node.col_offset)
            break
    text = (ast.get_source_segment("".join(module.lines), call.func) or "").replace("\n", " ")
    end = (stmt.end_lineno or stmt.lineno) if _wrappable(module, stmt) else -1
    return Site(repo, module.rel, call.lineno, end, call.col_offset, shape, text[:80], function, stmt.lineno)


def _wrappable(module: Module, stmt: ast.stmt) -> bool:
    """A statement that starts its line: it can be indented into a `with` block."""
    line = module.lines[stmt.lineno - 1]
    return not line[: stmt.col_offset].strip()


def _first_body_line(tree: ast.Module) -> int:
    """Where `import torch` can go: after the docstring and the `__future__` imports."""
    line = 1
    for index, node in enumerate(tree.body):
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            line = (node.end_lineno or node.lineno) + 1
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            line = (node.end_lineno or node.lineno) + 1
            continue
        break
    return line


def mutate(lines: list[str], tree: ast.Module, site: Site, form: str) -> tuple[list[str], int, int] | None:
    """The file's lines with the site's statement wrapped, and the wrapped statement's first and
    last line in the result; None where the form does not apply."""
    end = site.end
    out = list(lines)
    stmt_line = _statement_start(lines, site)
    indent = out[stmt_line - 1][: len(out[stmt_line - 1]) - len(out[stmt_line - 1].lstrip())]
    unit = "\t" if "\t" in indent else "    "
    if form == "decorator":
        if site.function is None:
            return None
        first, col = site.function
        def_indent = out[first - 1][:col]
        out.insert(first - 1, f"{def_indent}@torch.no_grad()\n")
        shift_at, shift = first, 1
        new_start, new_end = stmt_line + (1 if stmt_line >= shift_at else 0), end + (1 if end >= shift_at else 0)
    else:
        headers = {
            "no_grad": ["with torch.no_grad():"],
            "set_grad_enabled": ["with torch.set_grad_enabled(False):"],
            "inference_enable_grad": ["with torch.inference_mode():", f"{unit}with torch.enable_grad():"],
        }[form]
        depth = unit * len(headers)
        body = [depth + line if line.strip() else line for line in out[stmt_line - 1 : end]]
        if body and not body[-1].endswith("\n"):
            body[-1] += "\n"
        out[stmt_line - 1 : end] = [f"{indent}{h}\n" for h in headers] + body
        new_start, new_end = stmt_line + len(headers), end + len(headers)
    at = _first_body_line(tree)
    out.insert(at - 1, "import torch\n")
    if new_start >= at:
        new_start += 1
    if new_end >= at:
        new_end += 1
    try:
        compile("".join(out), site.path, "exec", ast.PyCF_ONLY_AST)
    except (SyntaxError, ValueError):
        return None
    return out, new_start, new_end


def _statement_start(lines: list[str], site: Site) -> int:
    return site.stmt_line or site.line


def run_repo(root: Path, sites: list[Site], prunelint: list[str], workdir: Path) -> list[tuple[Site, str, str]]:
    """(site, form, verdict) for every site and form: caught, missed, n/a or unmutatable."""
    by_file: dict[str, list[Site]] = collections.defaultdict(list)
    for site in sites:
        by_file[site.path].append(site)
    results = []
    # A wrapper's call and the construction inside the wrapper are never mutated in the same
    # run: with both wrapped, the construction's own finding stands for the call's.
    phases = [
        {p: [s for s in v if s.shape not in INDIRECT] for p, v in by_file.items()},
        {p: [s for s in v if s.shape in INDIRECT] for p, v in by_file.items()},
    ]
    for form, phase in ((f, p) for f in FORMS for p in phases):
        by_file = {p: v for p, v in phase.items() if v}
        rounds = max((len(v) for v in by_file.values()), default=0)
        for k in range(rounds):
            copy = workdir / f"{root.name}-{form}-{k}-{len(results)}"
            if copy.exists():
                shutil.rmtree(copy)
            shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".git"), symlinks=True)
            wanted: dict[str, tuple[Site, int, int]] = {}
            for path, file_sites in by_file.items():
                if k >= len(file_sites):
                    continue
                site = file_sites[k]
                if site.end < 0:
                    results.append((site, form, "unmutatable"))
                    continue
                text = (root / path).read_text("utf-8")
                lines = text.splitlines(keepends=True)
                mutated = mutate(lines, ast.parse(text), site, form)
                if mutated is None:
                    results.append((site, form, "n/a" if form == "decorator" and site.function is None else "unmutatable"))
                    continue
                out, start, end = mutated
                (copy / path).write_text("".join(out), "utf-8")
                wanted[path] = (site, start, end)
            if wanted:
                found = lint(copy, prunelint)
                for path, (site, start, end) in wanted.items():
                    hit = any(start <= row <= end for row in found.get(path, ()))
                    results.append((site, form, "caught" if hit else "missed"))
            shutil.rmtree(copy)
    return results


def lint(root: Path, prunelint: list[str]) -> dict[str, list[int]]:
    proc = subprocess.run(
        [*prunelint, "--isolated", "--no-cache", "--select", "PRL001", "--output-format", "json", "--exit-zero", "-j", "1", "."],
        cwd=root, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"prunelint failed in {root}: {proc.stderr[-2000:]}")
    found: dict[str, list[int]] = collections.defaultdict(list)
    for item in json.loads(proc.stdout or "[]"):
        name = os.path.relpath(item["filename"], root) if os.path.isabs(item["filename"]) else item["filename"]
        found[Path(name).as_posix()].append(item["location"]["row"])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--sites", type=Path, help="write the site table (TSV) here")
    parser.add_argument("--misses", type=Path, help="write every miss (TSV) here")
    parser.add_argument("--prunelint", default=f"{sys.executable} -m prunelint")
    parser.add_argument("--only-sites", action="store_true", help="find and write the sites, lint nothing")
    args = parser.parse_args(argv)
    release = release_pruners()
    all_sites: list[Site] = []
    for root in args.repos:
        root = root.resolve()
        pruners = release | fork_pruners(root, release)
        all_sites += find_sites(root.name, root, pruners, release)
    if args.sites:
        with open(args.sites, "w") as handle:
            handle.write("repo\tpath\tline\tshape\tcallee\n")
            for s in all_sites:
                handle.write(f"{s.repo}\t{s.path}\t{s.line}\t{s.shape}\t{s.text}\n")
    counts = collections.Counter((s.repo, s.shape) for s in all_sites)
    print(f"{len(all_sites)} sites in {len(args.repos)} repositories")
    for (repo, shape), n in sorted(counts.items()):
        print(f"  {repo:40} {shape:10} {n}")
    if args.only_sites:
        return 0
    prunelint = args.prunelint.split()
    verdicts: list[tuple[Site, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="prunelint-mutation-") as work:
        for root in args.repos:
            root = root.resolve()
            sites = [s for s in all_sites if s.repo == root.name]
            if sites:
                verdicts += run_repo(root, sites, prunelint, Path(work))
    table = collections.Counter((s.repo, s.shape, v) for s, _form, v in verdicts)
    print(f"\n{'repo':40} {'shape':10} {'caught':>7} {'missed':>7} {'n/a':>5} {'unmut.':>6}")
    for repo, shape in sorted({(s.repo, s.shape) for s, _, _ in verdicts}):
        row = [table[(repo, shape, v)] for v in ("caught", "missed", "n/a", "unmutatable")]
        print(f"{repo:40} {shape:10} {row[0]:7} {row[1]:7} {row[2]:5} {row[3]:6}")
    caught = sum(1 for _, _, v in verdicts if v == "caught")
    missed = [x for x in verdicts if x[2] == "missed"]
    judged = caught + len(missed)
    print(f"\ncaught {caught} of {judged} mutations ({100 * caught / max(1, judged):.1f}%); "
          f"{sum(1 for _, _, v in verdicts if v == 'n/a')} not applicable, "
          f"{sum(1 for _, _, v in verdicts if v == 'unmutatable')} not mutatable")
    if args.misses:
        with open(args.misses, "w") as handle:
            handle.write("repo\tpath\tline\tshape\tform\tcallee\n")
            for s, form, _ in missed:
                handle.write(f"{s.repo}\t{s.path}\t{s.line}\t{s.shape}\t{form}\t{s.text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
