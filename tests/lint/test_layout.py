"""The package's imports point one way: no circles between modules, the pipeline's folders in
order, no private names taken from another module, and one module that parses.

Every import counts: at module level, inside functions, and under `TYPE_CHECKING`. Importing
`a.b.c` runs `a/__init__.py` and `a/b/__init__.py` first, so those count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("prunelint", "pytest_prune")

# The pipeline's layers, lowest first: a module may import its own layer and those below it.
LAYERS = [
    # The shared vocabulary, and the hook specification that plugins and built-in rules implement.
    ("prunelint", "prunelint.diagnostics", "prunelint.ruleinfo", "prunelint.plugins", "prunelint.plugins.hookspecs"),
    ("prunelint.settings",),
    ("prunelint.io",),
    ("prunelint.analysis", "prunelint.model"),
    ("prunelint.fix",),
    ("prunelint.rules",),
    ("prunelint.plugins.registry",),
    ("prunelint.engine",),
    ("prunelint.output",),
    ("prunelint.api",),
    ("prunelint.frontends", "prunelint.__main__"),
]


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int, list[str]]]:
    """(module imported, line, names taken from it) for every import in the file."""
    tree = ast.parse(path.read_text("utf-8"))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []

    def known_prefix(dotted: str) -> str | None:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = known_prefix(alias.name)
                if target:
                    found.append((target, node.lineno, []))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                if submodule in known:
                    found.append((submodule, node.lineno, []))
                else:
                    target = known_prefix(module)
                    if target:
                        found.append((target, node.lineno, [alias.name]))
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for target, _line, _names in imports(name, path, known):
            parts = target.split(".")
            # Importing a.b.c runs the __init__ of a and a.b first.
            for depth in range(1, len(parts) + 1):
                prefix = ".".join(parts[:depth])
                if prefix in known and prefix != name and not name.startswith(prefix + "."):
                    edges[name].add(prefix)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def layer(name: str) -> int | None:
    best = None
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if name == prefix or name.startswith(prefix + ".") and prefix != "prunelint":
                if best is None or len(prefix) > best[1]:
                    best = (rank, len(prefix))
    return best[0] if best else None


def test_no_import_circles() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_planted_circle() -> None:
    planted = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(planted) == [["a", "b", "c"]]


def test_every_module_has_a_layer() -> None:
    unplaced = [name for name in modules() if name.startswith("prunelint") and layer(name) is None]
    assert unplaced == []


def test_folders_import_only_their_own_layer_or_lower() -> None:
    wrong = []
    for name, targets in graph().items():
        if not name.startswith("prunelint"):
            continue
        for target in targets:
            if target.startswith("prunelint") and layer(target) > layer(name):
                wrong.append(f"{name} -> {target}")
    assert sorted(wrong) == []


def test_no_private_name_is_imported_from_another_module() -> None:
    known = modules()
    wrong = []
    for name, path in known.items():
        for target, line, names in imports(name, path, known):
            if target == name:
                continue
            wrong.extend(f"{path.relative_to(ROOT)}:{line}: {n} from {target}" for n in names if n.startswith("_") and not n.startswith("__"))
    assert wrong == []


def parser_calls(tree: ast.AST) -> list[int]:
    """Lines that call `compile(...)`, `ast.parse(...)` or libcst's `parse_*`."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "compile":
            lines.append(node.lineno)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if (func.value.id, func.attr) == ("ast", "parse") or (
                func.value.id in ("cst", "libcst") and func.attr.startswith("parse_")
            ):
                lines.append(node.lineno)
    return lines


def test_only_the_parse_module_calls_a_parser() -> None:
    """`analysis/parse.py` holds every parser call. Notebooks compile single cells to tell
    IPython syntax from Python, which is reading, not analysis."""
    allowed = {"prunelint/analysis/parse.py", "prunelint/io/notebook.py"}
    callers = []
    for path in sorted((ROOT / "prunelint").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel not in allowed:
            callers.extend(f"{rel}:{line}" for line in parser_calls(ast.parse(path.read_text("utf-8"))))
    assert callers == []


def test_the_parser_finder_finds_a_planted_call() -> None:
    assert parser_calls(ast.parse("import libcst as cst\nx = cst.parse_module(t)\ncompile(t, 'f', 'exec')\n")) == [2, 3]


def test_the_parse_module_is_used_by_the_per_file_steps_and_their_two_helpers() -> None:
    """The per-file step parses each file (and libcst's step for third-party CstRules); the
    re-parse for the positions of cross-module findings and the fixer's check that a fixed text
    still parses are the only other users."""
    users = sorted(name for name, targets in graph().items() if "prunelint.analysis.parse" in targets)
    assert users == ["prunelint.engine.cst_step", "prunelint.engine.step", "prunelint.fix.fixer", "prunelint.model.located"]


def test_the_architecture_page_names_every_folder_and_module_that_exists() -> None:
    """docs/architecture.md's table: each folder of the package in it, each module it names real."""
    page = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    table = [line for line in page.splitlines() if line.startswith("| `prunelint/")]
    folders = {line.split("`")[1].rstrip("/") for line in table}
    package = ROOT / "prunelint"
    actual = {f"prunelint/{p.name}" for p in package.iterdir() if (p / "__init__.py").exists()}
    assert actual <= folders, f"folders missing from docs/architecture.md: {sorted(actual - folders)}"
    for line in table:
        folder = ROOT / line.split("`")[1].replace(" (top)", "")
        named = [part for part in line.split("`")[3::2] if part.endswith(".py") and "NNN" not in part]
        for module in named:
            assert (folder / module).exists() or (ROOT / "prunelint" / module).exists(), f"{module} in {line[:40]}"
    for path in package.rglob("*.py"):
        if path.name != "__init__.py" and path.parent != package and not path.name.startswith("prl"):
            assert f"`{path.name}`" in page, f"{path.relative_to(ROOT)} is not on docs/architecture.md"
