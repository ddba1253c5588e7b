from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from prunelint.model.names import dotted_name
from prunelint.rules.base import Invalid
from prunelint.rules.node_rule import NodeRule
from prunelint.rules.prl901_deprecated_api import (
    Span,
    attribute_name,
    dotted_span,
    expression,
    from_module_span,
    import_attributes,
    keyword_name,
)

if TYPE_CHECKING:
    from prunelint.settings.apidata import ApiData


class RemovedApi(NodeRule):
    """A Torch-Pruning name or keyword that no longer exists is used.

    Code written for Torch-Pruning 0.x or 1.0-1.2 (and copied from old issues and blog posts)
    uses API that 1.6 no longer has: `tp.strategy` and `DependencyGraph.get_pruning_plan` (0.x,
    replaced by importances and `get_pruning_group`), `tp.prune_conv`, `tp.prune_linear` and
    `tp.prune_batchnorm` (now `prune_conv_out_channels` and friends),
    `LocalMagnitudePruner`/`GlobalMagnitudePruner`, `importance.GroupNormImportance`, and the
    pruner keywords `max_ch_sparsity` and `iterative_sparsity_scheduler`. Each fails at import,
    at attribute access or with a `TypeError` at the call, often after a long model load. The
    message names what replaces it (#51, #206).

    No automatic fix: the replacements take other arguments or behave differently.

    Code whose `import torch_pruning` finds an older copy shipped in its own tree (a
    `torch_pruning/` folder beside it or above it, without `BasePruner`: Diff-Pruning's
    `ddpm_exp/`, projective-pruning) is not judged: what is removed in today's release is that
    copy's current API, and today's names do not exist there. A copy inside another package
    (`LLMPruner.torch_pruning`) is never the installed `torch_pruning`.
    """

    CODE = "PRL902"
    NAME = "removed-api"
    MESSAGE = "`{old}` was removed from Torch-Pruning ({fails}). Use {new}."
    PREFILTER_WORDS = ("torch_pruning",)
    JUDGES_INSTALLED_API = True

    VALID = [
        """
import torch_pruning as tp

DG = tp.DependencyGraph().build_dependency(model, example_inputs)
group = DG.get_pruning_group(model.conv1, tp.prune_conv_out_channels, idxs=[2, 6, 9])
group.prune()
""",
        """
import torch_pruning as tp
imp = tp.importance.GroupMagnitudeImportance(p=2)
pruner = tp.pruner.BasePruner(model, x, importance=imp, max_pruning_ratio=0.9)
""",
        # Names that only look like the removed ones.
        """
import torch_pruning as tp
from mylib import strategy
plan = planner.get_pruning_plan(model)
s = strategy.L1Strategy()
configure(max_ch_sparsity=0.9)
""",
        # A project's own get_pruning_plan.
        """
import torch_pruning as tp

def get_pruning_plan(model):
    return []

class Planner:
    def get_pruning_plan(self, layer):
        return layer
plan = Planner().get_pruning_plan(model.fc)
""",
    ]

    INVALID = [
        Invalid(
            """
import torch_pruning as tp
strategy = tp.strategy.L1Strategy()
""",
            line=3,
        ),
        Invalid(
            """
from torch_pruning.pruner.importance import GroupNormImportance
""",
            line=2,
        ),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(
    model, x, importance=imp,
    max_ch_sparsity=0.9,
)
""",
            line=5,
        ),
        Invalid(
            """
import torch_pruning as tp
DG = tp.DependencyGraph()
DG.build_dependency(model, example_inputs=x)
plan = DG.get_pruning_plan(model.conv1, fn, idxs=[0])
""",
            line=5,
        ),
    ]

    @classmethod
    def file_words(cls, api: ApiData) -> tuple[str, ...]:
        # Each report spans a removed name (a module path's part, an import, an attribute), a
        # removed method or a removed keyword.
        removed = api.table("removed_api")
        return (*removed.get("names", {}), *removed.get("methods", {}), *removed.get("keywords", {}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        removed = self.api.table("removed_api")
        self._names: dict[str, str] = {}  # qualified name -> replacement
        for name, spec in removed.get("names", {}).items():
            for module in spec.get("modules", ()):
                self._names[f"{module}.{name}"] = spec["replacement"]
        self._last_names = {qualified.rsplit(".", 1)[-1] for qualified in self._names}
        self._methods: dict[str, str] = dict(removed.get("methods", {}))
        self._keywords: dict[str, str] = dict(removed.get("keywords", {}))
        # (attribute, the span of its name): `tp.strategy`, and the dotted names of imports,
        # which libcst held as attributes too.
        self._attributes: list[tuple[ast.expr, Span]] = []
        self._aliases: list[ast.alias] = []
        self._modules: list[ast.ImportFrom] = []
        self._method_calls: list[ast.Attribute] = []
        self._calls: list[ast.Call] = []
        self._defined: set[str] = set()
        self._graph_assigns: list[ast.Assign] = []

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in self._last_names:
            self._attributes.append((node, attribute_name(self.text, node)[0]))

    def _import_attributes(self, node: ast.Import | ast.ImportFrom) -> None:
        for dotted, _, span in import_attributes(self.text, node, self._last_names):
            self._attributes.append((expression(dotted), span))

    def visit_Import(self, node: ast.Import) -> None:
        self._import_attributes(node)
        self._aliases.extend(node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self._import_attributes(node)
        if node.level or node.module is None:
            return
        self._modules.append(node)
        if node.names[0].name != "*":
            self._aliases.extend(node.names)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._defined.add(node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Assign(self, node: ast.Assign) -> None:
        if type(node.value) is ast.Call:
            self._graph_assigns.append(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if type(func) is ast.Attribute and func.attr in self._methods:
            self._method_calls.append(func)
        if any(keyword.arg in self._keywords for keyword in node.keywords):
            self._calls.append(node)

    def leave_Module(self, node: ast.Module) -> None:
        text = self.text
        reported: set[int] = set()
        for statement in self._modules:
            module = statement.module or ""
            gone = self._removed(module)
            if gone is not None:
                reported.add(id(statement))
                self._report_name(from_module_span(text, statement), gone, "it fails at import")
                continue
            if statement.names[0].name == "*":
                continue
            for alias in statement.names:
                reported.add(id(alias))
                qualified = f"{module}.{alias.name}"
                if qualified in self._names:
                    self._report_name(dotted_span(text, alias.lineno, alias.col_offset), qualified, "it fails at import")
        for alias in self._aliases:
            if id(alias) in reported:
                continue
            gone = self._removed(alias.name)
            if gone is not None:
                self._report_name(dotted_span(text, alias.lineno, alias.col_offset), gone, "it fails at import")
        for attribute, span in self._attributes:
            qualified = self.qualified_name(attribute)
            if qualified in self._names:
                self._report_name(span, qualified, "an AttributeError")
        for call in self._calls:
            self._keyword_reports(call)
        # A method is Torch-Pruning's only on a dependency graph this file builds, and where the
        # file defines no function of that name itself.
        graphs = self._graph_names()
        for func in self._method_calls:
            name = func.attr
            if name in self._defined:
                continue
            if self._is_graph(func.value) or dotted_name(func.value) in graphs:
                message = self.MESSAGE.format(old=name, fails="an AttributeError", new=self._methods[name])
                self.report(attribute_name(text, func)[0], message)  # type: ignore[arg-type]

    def _is_graph(self, expr: ast.expr) -> bool:
        """`tp.DependencyGraph()`, or a method chain on it (`.build_dependency(...)`)."""
        while type(expr) is ast.Call:
            if self.qualified_name(expr.func) in self.api.dependency_graph_classes:
                return True
            if type(expr.func) is not ast.Attribute:
                return False
            expr = expr.func.value
        return False

    def _graph_names(self) -> set[str]:
        """Names (`DG`, `self.DG`) assigned a dependency graph anywhere in the file."""
        names: set[str] = set()
        for assign in self._graph_assigns:
            if self._is_graph(assign.value):
                for target in assign.targets:
                    name = dotted_name(target)
                    if name is not None:
                        names.add(name)
        return names

    def _removed(self, dotted: str) -> str | None:
        """The removed qualified name `dotted` is, or is inside (`torch_pruning.strategy.X`)."""
        parts = dotted.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in self._names:
                return candidate
        return None

    def _report_name(self, span: Span, qualified: str, fails: str) -> None:
        old = qualified.rsplit(".", 1)[-1]
        message = self.MESSAGE.format(old=old, fails=fails, new=self._names[qualified])
        self.report(span, message)  # type: ignore[arg-type]

    def _keyword_reports(self, call: ast.Call) -> None:
        qualified = self.qualified_name(call.func)
        if qualified is None or not qualified.startswith("torch_pruning.") or self.pruner_class(call) is None:
            return
        for keyword in call.keywords:
            if keyword.arg is None:
                continue
            span, name = keyword_name(self.text, keyword)
            if name in self._keywords:
                message = self.MESSAGE.format(
                    old=f"{name}=", fails="a TypeError at the call", new=f"`{self._keywords[name]}=`"
                )
                self.report(span, message)  # type: ignore[arg-type]
