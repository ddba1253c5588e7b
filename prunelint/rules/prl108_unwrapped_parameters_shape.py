from __future__ import annotations

import ast

from prunelint.model.arguments import arguments, is_string, keyword_argument
from prunelint.rules.base import Invalid
from prunelint.rules.node_rule import NodeEdit, NodeFix, NodeRule


class UnwrappedParametersShape(NodeRule):
    """`unwrapped_parameters` is not a list of `(parameter, dim)` tuples.

    Parameters that belong to no prunable layer (a ViT's `pos_embed` or `cls_token`) are
    declared with `unwrapped_parameters=[(model.pos_embed, 2)]`: the parameter and the dimension
    that follows the channels. `DependencyGraph.build_dependency` iterates it as
    `for (param, dim) in unwrapped_parameters` (Torch-Pruning 1.6.1, `dependency/graph.py`), so
    a dict (the form `BasePruner`'s own docstring shows: `{ViT.pos_emb: 0}`), bare parameters or
    parameter names fail there, or unpack a tensor's rows as if they were the pair (TP #364,
    #256, #167).

    Judged only where the call shows it: a dict literal, or a list or tuple whose elements are
    strings or attribute reads (a bare `model.pos_embed`). Names that may hold a tuple are not
    judged.

    Fix (safe, for a dict literal): the same pairs as a list of tuples.
    """

    CODE = "PRL108"
    NAME = "unwrapped-parameters-shape"
    MESSAGE = (
        "`unwrapped_parameters` {problem}, not a list of `(parameter, dim)` tuples. Torch-Pruning "
        "iterates it as `for (param, dim) in ...`, so it fails or unpacks a tensor's rows: pass "
        "e.g. `[(model.pos_embed, 2)]` (TP #364)."
    )
    FIXABLE = True
    PREFILTER_WORDS = ("torch_pruning",)

    VALID = [
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, unwrapped_parameters=[(model.pos_embed, 2), (model.cls_token, 2)])
DG = tp.DependencyGraph().build_dependency(model, x, unwrapped_parameters=unwrapped)
p2 = tp.pruner.BasePruner(model, x, importance=imp, unwrapped_parameters=[pair for pair in pairs])
p3 = tp.pruner.BasePruner(model, x, importance=imp, unwrapped_parameters=[pair_a, pair_b])
""",
        # Another library's keyword of the same name.
        """
import torch_pruning as tp
build(model, unwrapped_parameters={model.pos_embed: 2})
""",
    ]
    INVALID = [
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, unwrapped_parameters={model.pos_embed: 0})
""",
            line=3,
            fixed="""
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, unwrapped_parameters=[(model.pos_embed, 0)])
""",
        ),
        Invalid(
            """
import torch_pruning as tp
DG = tp.DependencyGraph().build_dependency(model, x, unwrapped_parameters=[model.cls_token])
""",
            line=3,
        ),
        Invalid(
            """
from torch_pruning.pruner import GroupNormPruner
pruner = GroupNormPruner(model, x, importance=imp, unwrapped_parameters=["pos_embed"])
""",
            line=3,
        ),
    ]

    def visit_Call(self, node: ast.Call) -> None:
        value = self._argument(node)
        if value is None:
            return
        if type(value) is ast.Dict:
            self.report(value, self.MESSAGE.format(problem="is a dict"), self._dict_fix(value))
            return
        if type(value) is ast.Call and type(value.func) is ast.Name and value.func.id == "dict":
            self.report(value, self.MESSAGE.format(problem="is a dict"))
            return
        if type(value) not in (ast.List, ast.Tuple):
            return
        for item in value.elts:  # type: ignore[attr-defined]
            if type(item) is ast.Starred:
                continue
            if is_string(item):
                self.report(item, self.MESSAGE.format(problem=f"holds the name {self._code(value, item)}"))
                return
            if type(item) is ast.Attribute:
                self.report(item, self.MESSAGE.format(problem=f"holds the bare parameter `{self._code(value, item)}`"))
                return

    def _argument(self, node: ast.Call) -> ast.expr | None:
        cls = self.pruner_class(node)
        if cls is not None:
            return arguments(node, cls, self.api).get("unwrapped_parameters")
        func = node.func
        if (
            type(func) is ast.Attribute
            and func.attr in self.api.tracing_methods
            and type(func.value) is ast.Call
            and self.qualified_name(func.value.func) in self.api.dependency_graph_classes
        ):
            return keyword_argument(node, "unwrapped_parameters")
        return None

    def _dict_fix(self, value: ast.Dict) -> NodeFix | None:
        pairs = []
        for key, item in zip(value.keys, value.values):
            if key is None:
                return None  # `**other`: not a pair
            pairs.append(f"({self._as_written(key)}, {self._as_written(item)})")
        return NodeFix("Pass a list of (parameter, dim) tuples", (NodeEdit(value, "[" + ", ".join(pairs) + "]"),))

    def _as_written(self, node: ast.expr) -> str:
        """The node's code exactly as written, parentheses included, for a fix: a message's
        one-line, shortened code (`self.code`) would rewrite a string's blanks and cut a long
        expression to `...`."""
        if self.text is None:
            return ast.unparse(node)
        start, end = self.text.parenthesized(node)
        return self.text.text[start:end]

    def _code(self, container: ast.expr, node: ast.expr) -> str:
        """`self.code(node)`, with the parentheses around `node` as libcst's code of a node had
        them, for an element, key or value of `container` (a tuple's own parentheses are not
        its element's: a comma follows the element)."""
        return self.code(node, parentheses=True)
