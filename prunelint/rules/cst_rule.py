"""Per-file rules: libcst visitors run in the single pass that also collects the shared facts.

A `CstRule` is written as Fixit's rules are (`visit_*`/`leave_*` methods over libcst nodes,
`self.report(node)`), but it does not subclass a libcst class: the engine wraps it when a file is
parsed. Loading the rules, to list or select them, therefore never imports libcst.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from prunelint.diagnostics import Applicability, Diagnostic
from prunelint.rules.base import Rule

if TYPE_CHECKING:
    import libcst as cst

    from prunelint.analysis.imports import ImportNames
    from prunelint.settings.apidata import ApiData

_MISSING = object()


@dataclass(frozen=True)
class NodeEdit:
    """Replace `node`'s code with `content`, or insert `content` before or after it."""

    node: "cst.CSTNode"
    content: str
    where: str = "replace"  # "replace" | "before" | "after"


@dataclass(frozen=True)
class NodeFix:
    message: str
    edits: tuple[NodeEdit, ...]
    applicability: Applicability = "safe"


@dataclass
class Report:
    node: "cst.CSTNode"
    message: str
    fix: NodeFix | None = None
    end_node: "cst.CSTNode | None" = None


class CstRule(Rule):
    """A per-file rule: implement `visit_*`/`leave_*` and call `self.report(node, message)`.

    `self.api` holds the API facts (`prunelint/data/torch_pruning_api.toml`), and
    `self.qualified_name(expr)` says which imported name an expression refers to.
    """

    # Extra libcst metadata providers the rule reads with `self.get_metadata`. Each one costs a
    # pass over every parsed file: positions are given to reports without one.
    METADATA_DEPENDENCIES: ClassVar[tuple[Any, ...]] = ()
    # Shared records the engine builds in the same pass, once per file for all the rules that
    # name them: "pruning_flow" (`prunelint.analysis.pruning_flow.module_flow`).
    SHARED_PASSES: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        filename: str,
        api: "ApiData | None" = None,
        names: "ImportNames | None" = None,
        memo: "dict[str, Any] | None" = None,
    ) -> None:
        self.filename = filename
        if api is None:
            from prunelint.settings.apidata import load_api_data

            api = load_api_data()
        self.api = api
        self.names = names
        # Shared by every rule of one file, for work several rules need once (a flow walk).
        self.memo: dict[str, Any] = {} if memo is None else memo
        self.reports: list[Report] = []
        self.findings: list[Diagnostic] = []  # filled by the engine from `reports`
        self._metadata: Any = None  # the libcst visitor that wraps this rule, while it runs

    def report(
        self,
        node: "cst.CSTNode",
        message: str | None = None,
        fix: NodeFix | None = None,
        *,
        end_node: "cst.CSTNode | None" = None,
    ) -> None:
        """A finding spanning `node` (through `end_node` if given), with an optional fix."""
        self.reports.append(Report(node, message or self.MESSAGE, fix, end_node))

    def get_metadata(self, key: Any, node: "cst.CSTNode", default: Any = _MISSING) -> Any:
        if self._metadata is None:
            raise RuntimeError("metadata is available only while the rule visits a file")
        if default is _MISSING:
            return self._metadata.get_metadata(key, node)
        return self._metadata.get_metadata(key, node, default)

    def qualified_name(self, expr: "cst.BaseExpression") -> str | None:
        """`torch_pruning.pruner.BasePruner` for `tp.pruner.BasePruner` after
        `import torch_pruning as tp`; None where the name is not (only) an import."""
        return None if self.names is None else self.names.qualified(expr)

    def pruner_class(self, call: "cst.Call") -> str | None:
        """The canonical Torch-Pruning pruner class a call constructs, if it is one."""
        # Every pruner rule asks this of every call: one call less than via qualified_name.
        name = None if self.names is None else self.names.qualified(call.func)
        return None if name is None else self.api.pruner_classes.get(name)
