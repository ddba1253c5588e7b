"""pytest_prune's modules import no private name of one another, and form no import circle
(imports inside functions and under TYPE_CHECKING count too)."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set, Tuple

PACKAGE = Path(__file__).resolve().parents[2] / "pytest_prune"


def _imports(path: Path) -> List[Tuple[str, List[str], int]]:
    """(module imported, names taken from it, line) for every intra-package import."""
    found = []
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                if node.module:
                    found.append((node.module.split(".")[0], [a.name for a in node.names], node.lineno))
                else:  # from . import hf
                    found.extend((a.name, [], node.lineno) for a in node.names)
            elif node.module and node.module.startswith("pytest_prune."):
                found.append((node.module.split(".")[1], [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("pytest_prune."):
                    found.append((a.name.split(".")[1], [], node.lineno))
    return found


def _graph() -> Dict[str, Set[str]]:
    return {p.stem: {m for m, _, _ in _imports(p)} for p in PACKAGE.glob("*.py")}


def _private_attribute_uses(path: Path, modules: Set[str]) -> List[str]:
    """`hf._something` where hf is a sibling module imported as a name."""
    tree = ast.parse(path.read_text(), str(path))
    return [f"{path.name}:{n.lineno} {n.value.id}.{n.attr}" for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in modules
            and n.attr.startswith("_") and not n.attr.startswith("__")]


def test_no_private_names_across_modules() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    bad = []
    for path in PACKAGE.glob("*.py"):
        for module, names, line in _imports(path):
            bad += [f"{path.name}:{line} imports {module}.{n}" for n in names if n.startswith("_")]
        bad += _private_attribute_uses(path, modules)
    assert not bad, "\n".join(bad)


def test_no_import_circle() -> None:
    graph = _graph()
    circles = []

    def visit(node: str, stack: List[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in stack:
                circles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt in graph:
                visit(nxt, stack + [nxt])

    for start in graph:
        visit(start, [start])
    assert not circles, "\n".join(sorted(set(circles)))


def test_the_checker_sees_a_circle_and_a_private_import(tmp_path: Path) -> None:
    """The two checks above can fail: on the old layout (hints imported check._Context while
    check imported hints) both would have."""
    (tmp_path / "a.py").write_text("from .b import _private\n")
    (tmp_path / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import x\n")
    assert [m for m, _, _ in _imports(tmp_path / "a.py")] == ["b"]
    assert [n for _, names, _ in _imports(tmp_path / "a.py") for n in names] == ["_private"]
    assert [m for m, _, _ in _imports(tmp_path / "b.py")] == ["a"]


def test_check_py_is_only_the_entry() -> None:
    lines = len((PACKAGE / "check.py").read_text().splitlines())
    assert lines < 320, f"check.py has {lines} lines: the attempt and verification belong in attempt.py/verify.py"
