from __future__ import annotations

import ast

from prunelint.model.arguments import arguments, is_number, is_string, literal
from prunelint.model.lists import ListTracker, comprehension_names
from prunelint.model.text import Span
from prunelint.rules.base import Invalid
from prunelint.rules.node_rule import NodeRule


class IgnoredLayersNotModules(ListTracker, NodeRule):
    """`ignored_layers` holds names, classes or parameters instead of module instances.

    Torch-Pruning 1.6.1 keeps an `ignored_layers` entry only if it is an `nn.Module` instance
    or an `nn.Parameter` (`BasePruner.__init__` puts a Parameter into `ignored_params`, which
    `DependencyGraph.get_pruning_group` skips only where the Parameter itself is a node: an
    unwrapped parameter such as a ViT's `pos_embed` is protected, and not reported; a module's
    `.weight` is not a node, so the module is pruned anyway). Anything else is dropped without a warning, so the layer meant to be kept, most
    often the classifier head, is pruned anyway (#451, #341): a module's name (`"fc"`, or the
    names from `named_modules()`), a class (`nn.Linear`: use `isinstance` over `model.modules()`
    to list the instances), or a module's `.weight`/`.bias` (list the module itself).

    The argument must be a list (any iterable of modules works). A bare string is iterated
    character by character and ignores nothing; a bare `.weight` is iterated row by row; a bare
    class raises `TypeError`. Lists built by name in the same function (`ignored = []`,
    `ignored.append(...)`) are followed; other values are not judged.
    """

    CODE = "PRL101"
    NAME = "ignored-layers-not-modules"
    MESSAGE = (
        "`ignored_layers` {problem}. Torch-Pruning silently ignores anything but module instances, "
        "so that layer is pruned anyway. {fix}"
    )
    PREFILTER_WORDS = ("torch_pruning",)

    VALID = [
        """
import torch_pruning as tp

pruner = tp.pruner.BasePruner(
    model, example_inputs, importance=imp, pruning_ratio=0.5, ignored_layers=[model.fc]
)
""",
        """
import torch, torch_pruning as tp
ignored_layers = []
for m in model.modules():
    if isinstance(m, torch.nn.Linear) and m.out_features == 1000:
        ignored_layers.append(m)
pruner = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers=ignored_layers)
""",
        # Module attributes, indexing, a tuple and a comprehension of modules.
        """
import torch_pruning as tp
p1 = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers=[model.fc, model.layers[-1]])
p2 = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers=(model.head,))
p3 = tp.pruner.BasePruner(model, x, importance=imp,
                          ignored_layers=[m for n, m in model.named_modules() if "head" in n])
p4 = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers=model.classifier)
""",
        # An unwrapped parameter: Torch-Pruning's ignored_params protects it.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers=[model.head, model.pos_embed],
                              unwrapped_parameters=[(model.pos_embed, 2)])
""",
        # An attribute whose name ends in weight but is a module; a string elsewhere in the call.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers=[model.class_weight_head],
                              output_transform=lambda out: out["logits"])
""",
        # A list reassigned to something unknown before it is used.
        """
import torch_pruning as tp
ignored = ["fc"]
ignored = [getattr(model, n) for n in ignored]
pruner = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers=ignored)
""",
        # A string loop variable that is not what gets appended.
        """
import torch_pruning as tp
ignored = []
for name, module in model.named_modules():
    if name.startswith("head"):
        ignored.append(module)
pruner = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers=ignored)
""",
    ]
    INVALID = [
        Invalid("""
import torch_pruning as tp

pruner = tp.pruner.BasePruner(
    model, example_inputs, importance=imp, pruning_ratio=0.5, ignored_layers=["fc"]
)
""", line=5),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers=["fc"])
""",
            3,
        ),
        Invalid(
            """
import torch.nn as nn
import torch_pruning as tp
pruner = tp.pruner.MetaPruner(model, x, importance=imp, ignored_layers=[nn.Linear])
""",
            4,
        ),
        Invalid(
            """
import torch_pruning as tp
ignored = [model.conv1]
ignored.append(model.fc.weight)
pruner = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers=ignored)
""",
            4,
        ),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers="classifier")
""",
            3,
        ),
        Invalid(
            """
import torch_pruning as tp
ignored = []
for name, m in model.named_modules():
    if name.endswith("lm_head"):
        ignored.append(name)
pruner = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers=ignored)
""",
            6,
        ),
    ]

    def visit_Call(self, node: ast.Call) -> None:
        self.track_call(node)

    def on_pruner_call(self, node: ast.Call, cls: str) -> None:
        name = self.api.table("pruner_keywords").get("ignored_layers", "ignored_layers")
        value = arguments(node, cls, self.api).get(name)
        if value is None:
            return
        problem = self._problem(value)
        if problem is not None:
            # At the bad element (or the whole value), not at the call.
            self.report(self._at(problem[2]), self.MESSAGE.format(problem=problem[0], fix=problem[1]))

    # Where libcst and `ast` part: libcst's `code_for_node` (the messages) includes a node's own
    # parentheses, `ast`'s positions do not; libcst's positions leave out a generator
    # expression's parentheses, `ast`'s include them.

    def code(self, node: ast.AST, limit: int = 60) -> str:
        """The node's code as written with its own parentheses, on one line, for messages."""
        return super().code(node, limit, parentheses=True)

    def _at(self, node: ast.expr) -> "ast.AST | Span":
        """What to report on: a generator expression without its parentheses."""
        if type(node) is not ast.GeneratorExp or self.text is None:
            return node
        return self.text.inside_parentheses(node) or node

    def _problem(self, value: ast.expr) -> tuple[str, str, ast.expr] | None:
        """What is wrong, how to fix it, and where: the element or the whole value; None if
        nothing is known."""
        if is_string(value):
            return (
                f"is the string {self.code(value)}, which is iterated character by character",
                "Pass a list of modules: `[model.fc]`.",
                value,
            )
        bare = self._element_problem(value)
        if bare is not None:
            return f"is {bare[0]}, not a list", bare[1], value
        number = literal(value)
        if is_number(number) or isinstance(number, bool):
            return f"is `{self.code(value)}`, not a list of modules", "Pass a list of modules.", value
        if comprehension_names(value, self.STRING_YIELDING):
            return (
                "lists module names from `named_modules()`",
                "Keep the modules instead: `[m for name, m in model.named_modules() if ...]`.",
                value,
            )
        elements = self._elements(value)
        for element in elements or ():
            found = self._element_problem(element)
            if found is not None:
                return f"holds {found[0]}", found[1], element
        return None

    def _elements(self, value: ast.expr) -> list[ast.expr] | None:
        kind = type(value)
        if kind is ast.List or kind is ast.Tuple or kind is ast.Set:
            return [e for e in value.elts if type(e) is not ast.Starred]  # type: ignore[attr-defined]
        if kind is ast.Name:
            return self.tracked(value.id)  # type: ignore[attr-defined]
        if kind is ast.BinOp and type(value.op) is ast.Add:  # type: ignore[attr-defined]
            return (self._elements(value.left) or []) + (self._elements(value.right) or [])  # type: ignore[attr-defined]
        return None

    def _element_problem(self, element: ast.expr) -> tuple[str, str] | None:
        data = self.api.table("ignored_layers")
        if is_string(element):
            return f"the string {self.code(element)}", f"List the module itself, e.g. `model.{_attr(element)}`."
        if self.is_string_name(element):
            return (
                f"`{self.code(element)}`, a module's name from `named_modules()`",
                "Append the module, not its name.",
            )
        if type(element) is ast.Attribute and element.attr in data.get("parameter_attributes", ()):
            owner = self.code(element.value)
            return f"`{self.code(element)}`, a parameter", f"List the module instead: `{owner}`."
        qualified = self.qualified_name(element)
        if qualified is not None:
            package, _, last = qualified.rpartition(".")
            packages = tuple(data.get("class_packages", ()))
            if last[:1].isupper() and not last.isupper() and _under(package, packages):
                return (
                    f"the class `{self.code(element)}`",
                    f"List its instances: `[m for m in model.modules() if isinstance(m, {self.code(element)})]`.",
                )
        return None


def _under(package: str, roots: tuple[str, ...]) -> bool:
    return any(package == root or package.startswith(root + ".") for root in roots)


def _attr(string: ast.expr) -> str:
    value = string.value if type(string) is ast.Constant else None
    return value if isinstance(value, str) and value.isidentifier() else "fc"
