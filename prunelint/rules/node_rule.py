"""Per-file rules over CPython's syntax tree: the kind the built-in rules are written as.

A `NodeRule` is written as Fixit's rules are: `visit_*`/`leave_*` methods named after `ast`'s
node classes (`visit_Call`, `leave_FunctionDef`, `visit_If_orelse`), and `self.report(node)`.
All rules of a file share one walk of the tree the file was checked with anyway, so reading a
file costs one CPython parse; libcst is parsed only for a rule that still asks for it
(`CstRule`, kept for third-party rules). Positions come from the parser. A rule over the flow
of each scope is a `FlowRule` (`prunelint.rules.flow_rule`); one over the facts of every linted
file a `ProjectRule` (`prunelint.rules.base`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prunelint.model.report import NodeEdit, NodeFix, Report
from prunelint.rules.base import FileRule

if TYPE_CHECKING:
    import ast

    from prunelint.model.names import ImportNames
    from prunelint.model.text import SourceText
    from prunelint.settings.apidata import ApiData

__all__ = ["NodeEdit", "NodeFix", "NodeRule", "Report"]


class NodeRule(FileRule):
    """A per-file rule: implement `visit_*`/`leave_*` over `ast` nodes and call
    `self.report(node, message)`.

    `self.api` holds the API facts (`prunelint/data/torch_pruning_api.toml`),
    `self.qualified_name(expr)` says which imported name an expression refers to, and
    `self.code(node)` is a node's code as written, for messages. A rule about pruner
    constructions implements `on_pruner_call(node, cls)` instead of testing every call.
    """

    def __init__(
        self,
        filename: str,
        api: "ApiData | None" = None,
        names: "ImportNames | None" = None,
        text: "SourceText | None" = None,
    ) -> None:
        super().__init__(filename, api, names)
        self.text = text

    def qualified_name(self, expr: "ast.AST") -> str | None:
        return None if self.names is None else self.names.qualified(expr)

    def on_pruner_call(self, node: "ast.Call", cls: str) -> None:
        """Called for each construction of a Torch-Pruning pruner (`cls`: its canonical class,
        as `pruner_class(node)` says), after this rule's own `visit_Call` of the same call.
        The file's walk asks which calls construct one once, for every rule that defines this."""

    def code(self, node: "ast.AST", limit: int = 60, *, parentheses: bool = False) -> str:
        """The node's code as written, on one line, for messages; with `parentheses`, with the
        parentheses written around it (`(loss)`), as libcst's code of a node had them."""
        if self.text is None:
            return ""
        if parentheses:
            start, end = self.text.parenthesized(node)
            written = self.text.text[start:end]
        else:
            written = self.text.segment(node)
        text = " ".join(written.split())
        return text if len(text) <= limit else text[: limit - 3] + "..."
