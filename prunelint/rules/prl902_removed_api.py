from __future__ import annotations

from typing import TYPE_CHECKING

from prunelint.analysis.lazy import cst
from prunelint.rules.base import Invalid
from prunelint.rules.cst_rule import CstRule

if TYPE_CHECKING:
    import libcst


class RemovedApi(CstRule):
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
        self._attributes: list[libcst.Attribute] = []
        self._aliases: list[libcst.ImportAlias] = []
        self._modules: list[libcst.ImportFrom] = []
        self._method_calls: list[libcst.Attribute] = []
        self._calls: list[libcst.Call] = []
        self._defined: set[str] = set()
        self._graph_assigns: list[libcst.Assign] = []

    def visit_Attribute(self, node: "libcst.Attribute") -> None:
        if node.attr.value in self._last_names:
            self._attributes.append(node)

    def visit_Import(self, node: "libcst.Import") -> None:
        for alias in node.names:
            self._aliases.append(alias)

    def visit_ImportFrom(self, node: "libcst.ImportFrom") -> None:
        if node.relative or node.module is None:
            return
        self._modules.append(node)
        if not isinstance(node.names, cst.ImportStar):
            self._aliases.extend(node.names)

    def visit_FunctionDef(self, node: "libcst.FunctionDef") -> None:
        self._defined.add(node.name.value)

    def visit_Assign(self, node: "libcst.Assign") -> None:
        if isinstance(node.value, cst.Call):
            self._graph_assigns.append(node)

    def visit_Call(self, node: "libcst.Call") -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in self._methods:
            self._method_calls.append(func)
        if any(arg.keyword is not None and arg.keyword.value in self._keywords for arg in node.args):
            self._calls.append(node)

    def leave_Module(self, original_node: "libcst.Module") -> None:
        from prunelint.analysis.collector import dotted_name

        reported: set[int] = set()
        for node in self._modules:
            module = dotted_name(node.module) or ""
            gone = self._removed(module)
            if gone is not None:
                reported.add(id(node))
                self._report_name(node.module, gone, "it fails at import")
                continue
            if isinstance(node.names, cst.ImportStar):
                continue
            for alias in node.names:
                reported.add(id(alias))
                qualified = f"{module}.{dotted_name(alias.name)}"
                if qualified in self._names:
                    self._report_name(alias.name, qualified, "it fails at import")
        for alias in self._aliases:
            if id(alias) in reported:
                continue
            full = dotted_name(alias.name) or ""
            gone = self._removed(full)
            if gone is not None:
                self._report_name(alias.name, gone, "it fails at import")
        for node in self._attributes:
            qualified = self.qualified_name(node)
            if qualified in self._names:
                self._report_name(node.attr, qualified, "an AttributeError")
        for call in self._calls:
            self._keyword_reports(call)
        # A method is Torch-Pruning's only on a dependency graph this file builds, and where the
        # file defines no function of that name itself.
        graphs = self._graph_names()
        for func in self._method_calls:
            name = func.attr.value
            if name in self._defined:
                continue
            if self._is_graph(func.value) or dotted_name(func.value) in graphs:
                message = self.MESSAGE.format(old=name, fails="an AttributeError", new=self._methods[name])
                self.report(func.attr, message)

    def _is_graph(self, expr: "libcst.BaseExpression") -> bool:
        """`tp.DependencyGraph()`, or a method chain on it (`.build_dependency(...)`)."""
        while isinstance(expr, cst.Call):
            if self.qualified_name(expr.func) in self.api.dependency_graph_classes:
                return True
            if not isinstance(expr.func, cst.Attribute):
                return False
            expr = expr.func.value
        return False

    def _graph_names(self) -> set[str]:
        """Names (`DG`, `self.DG`) assigned a dependency graph anywhere in the file."""
        from prunelint.analysis.collector import dotted_name

        names: set[str] = set()
        for assign in self._graph_assigns:
            if self._is_graph(assign.value):
                for target in assign.targets:
                    name = dotted_name(target.target)
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

    def _report_name(self, node: "libcst.CSTNode", qualified: str, fails: str) -> None:
        old = qualified.rsplit(".", 1)[-1]
        message = self.MESSAGE.format(old=old, fails=fails, new=self._names[qualified])
        self.report(node, message)

    def _keyword_reports(self, call: "libcst.Call") -> None:
        qualified = self.qualified_name(call.func)
        if qualified is None or not qualified.startswith("torch_pruning.") or self.pruner_class(call) is None:
            return
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value in self._keywords:
                name = arg.keyword.value
                message = self.MESSAGE.format(
                    old=f"{name}=", fails="a TypeError at the call", new=f"`{self._keywords[name]}=`"
                )
                self.report(arg.keyword, message)
