"""Per-file rules over libcst's syntax tree, for third-party rules written that way.

A `CstRule` is written as Fixit's rules are (`visit_*`/`leave_*` methods over libcst nodes,
`self.report(node)`), but it does not subclass a libcst class: the engine wraps it when a file is
parsed. Loading the rules, to list or select them, therefore never imports libcst, and a file is
parsed by libcst only when such a rule is selected (`prunelint.engine.cst_step`). The built-in
rules are `NodeRule`s and `FlowRule`s over CPython's tree, which reads many times faster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from prunelint.model.report import NodeEdit, NodeFix, Report
from prunelint.rules.base import FileRule

__all__ = ["CstRule", "NodeEdit", "NodeFix", "Report"]

if TYPE_CHECKING:
    import libcst as cst

    from prunelint.model.names import ImportNames
    from prunelint.settings.apidata import ApiData

_MISSING = object()


class CstRule(FileRule):
    """A per-file rule: implement `visit_*`/`leave_*` and call `self.report(node, message)`.

    `self.api` holds the API facts (`prunelint/data/torch_pruning_api.toml`), and
    `self.qualified_name(expr)` says which imported name an expression refers to.
    """

    # Extra libcst metadata providers the rule reads with `self.get_metadata`. Each one costs a
    # pass over every parsed file: positions are given to reports without one.
    METADATA_DEPENDENCIES: ClassVar[tuple[Any, ...]] = ()

    def __init__(self, filename: str, api: "ApiData | None" = None, names: "ImportNames | None" = None) -> None:
        super().__init__(filename, api, names)
        self._metadata: Any = None  # the libcst visitor that wraps this rule, while it runs

    def get_metadata(self, key: Any, node: "cst.CSTNode", default: Any = _MISSING) -> Any:
        if self._metadata is None:
            raise RuntimeError("metadata is available only while the rule visits a file")
        if default is _MISSING:
            return self._metadata.get_metadata(key, node)
        return self._metadata.get_metadata(key, node, default)

    def qualified_name(self, expr: "cst.BaseExpression") -> str | None:
        """`torch_pruning.pruner.BasePruner` for `tp.pruner.BasePruner` after
        `import torch_pruning as tp`; None where the name is not (only) an import. Answered
        from the whole file's imports and bindings (CPython's tree, walked before libcst's)."""
        if self.names is None:
            return None
        dotted = _dotted(expr)
        return None if dotted is None else self.names.qualified_dotted(dotted)


def _dotted(node: "cst.BaseExpression") -> str | None:
    """`a.b.c` for a chain of libcst names and attributes, else None."""
    import libcst as cst

    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))
