"""Hypothesis strategies for the property tests: generated Python modules (hypothesmith), and the
same modules with Torch-Pruning constructions, grad-mode blocks and decorators spliced in.

Splices go where a top-level statement starts at column 0, so most spliced modules stay valid
and reach the analysis; the few that do not (a splice before `from __future__`, say) are valid
test input too: they must come out as PRL000 findings.
"""

from __future__ import annotations

import ast
import warnings

import hypothesmith
from hypothesis import strategies as st

IMPORTS = "import torch\nimport torch_pruning as tp\n"

# Each snippet is complete at column 0; `{name}` is a fresh identifier.
SNIPPETS = (
    "with torch.no_grad():\n    {name} = tp.pruner.MetaPruner(model, example_inputs, importance=imp)\n",
    "with torch.inference_mode():\n    {name} = tp.DependencyGraph().build_dependency(model, example_inputs=x)\n",
    "@torch.no_grad()\ndef {name}(model, x):\n    return tp.pruner.MagnitudePruner(model, x)\n",
    "@torch.inference_mode()\ndef {name}(model, x):\n    with torch.enable_grad():\n        return tp.pruner.MetaPruner(model, x)\n",
    "def {name}(model, x):\n    return tp.pruner.GroupNormPruner(model, x, importance=tp.importance.GroupMagnitudeImportance(p=2))\n"
    "with torch.no_grad():\n    {name}(model, x)\n",
    "torch.set_grad_enabled(False)\n{name} = tp.pruner.MetaPruner(model, x)\n",
    "{name} = tp.pruner.MetaPruner(model, x, ignored_layers=[model.head], pruning_ratio=0.5)\n"
    "with torch.no_grad():\n    {name}.step()\n",
    "class {name}(tp.pruner.MetaPruner):\n    pass\nwith torch.no_grad():\n    {name}(model, x)\n",
    "with torch.no_grad(), torch.inference_mode(False):\n    {name} = tp.pruner.BNScalePruner(model, x)\n",
    "for {name} in tp.pruner.MetaPruner(model, x).step(interactive=True):\n    {name}.prune()\n",
)

# Wrapped around a whole generated top-level statement (indented into the block).
WRAPPERS = ("with torch.no_grad():\n", "with torch.inference_mode():\n", "if torch.is_grad_enabled():\n")
DECORATORS = ("@torch.no_grad()\n", "@torch.inference_mode()\n", "@torch.enable_grad()\n", "@tp.utils.no_grad\n")


def _parse(source: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # generated code: `1()` and friends warn
            return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _top_level_starts(source: str) -> tuple[list[int], list[int]]:
    """0-based line numbers where a top-level statement (or its first decorator) starts at
    column 0, and which of them start a def or class."""
    tree = _parse(source)
    if tree is None:
        return [], []
    starts, defs = [], []
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())])
        if node.col_offset == 0:
            starts.append(first - 1)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defs.append(first - 1)
    return starts, defs


def _ends(source: str) -> dict[int, int]:
    tree = _parse(source)
    if tree is None:
        return {}
    return {
        min([n.lineno] + [d.lineno for d in getattr(n, "decorator_list", ())]) - 1: (n.end_lineno or n.lineno)
        for n in tree.body
        if n.col_offset == 0
    }


@st.composite
def spliced_modules(draw: st.DrawFn, base: st.SearchStrategy[str] | None = None) -> str:
    """A generated module with up to four splices: snippets between top-level statements,
    grad-mode blocks around them, and decorators on generated defs."""
    source = draw(base if base is not None else hypothesmith.from_grammar(auto_target=False))
    if not source.endswith(("\n", "\r")):
        source += "\n"
    lines = source.splitlines(keepends=True)
    starts, defs = _top_level_starts(source)
    ends = _ends(source)
    inserts: dict[int, list[str]] = {}
    wrapped: dict[int, str] = {}
    for index in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(("snippet", "snippet", "wrap", "decorate")))
        name = f"pruner_{index}"
        if kind == "decorate" and defs:
            at = draw(st.sampled_from(defs))
            inserts.setdefault(at, []).append(draw(st.sampled_from(DECORATORS)))
        elif kind == "wrap" and starts:
            at = draw(st.sampled_from(starts))
            wrapped.setdefault(at, draw(st.sampled_from(WRAPPERS)))
        else:
            at = draw(st.sampled_from(starts + [len(lines)]))
            inserts.setdefault(at, []).append(draw(st.sampled_from(SNIPPETS)).format(name=name))
    out: list[str] = []
    row = 0
    while row <= len(lines):
        out.extend(inserts.get(row, ()))
        if row == len(lines):
            break
        if row in wrapped and row in ends:
            out.append(wrapped[row])
            end = ends[row]
            # Indenting changes what a multi-line string holds, never whether it parses.
            out.extend("    " + line for line in lines[row:end])
            row = end
            continue
        out.append(lines[row])
        row += 1
    return IMPORTS + "".join(out)


def any_module() -> st.SearchStrategy[str]:
    """Generated modules from the grammar and from libcst nodes, each ending in a mention of
    torch_pruning so that the prefilter lets it through to the parser and the rules."""
    generated = st.one_of(hypothesmith.from_grammar(auto_target=False), hypothesmith.from_node(auto_target=False))
    return generated.map(lambda s: s + ("" if s.endswith(("\n", "\r")) else "\n") + "import torch_pruning\n")
