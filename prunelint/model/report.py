"""What a per-file rule reports: a node, a message, and a fix as edits of nodes.

The node is whatever the rule's tree holds (an `ast` node for a `NodeRule`, a libcst node for a
`CstRule`); the engine turns it into positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prunelint.diagnostics import Applicability


@dataclass(frozen=True)
class NodeEdit:
    """Replace `node`'s code with `content`, or insert `content` before or after it."""

    node: Any
    content: str
    where: str = "replace"  # "replace" | "before" | "after"


@dataclass(frozen=True)
class NodeFix:
    message: str
    edits: tuple[NodeEdit, ...]
    applicability: Applicability = "safe"


@dataclass
class Report:
    node: Any
    message: str
    fix: NodeFix | None = None
    end_node: Any = None
