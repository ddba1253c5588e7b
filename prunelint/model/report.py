"""What a per-file rule reports: a node, a message, and a fix as edits of nodes.

The node is whatever the rule's tree holds (an `ast` node for a `NodeRule`, a libcst node for a
`CstRule`); the engine turns it into positions.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from prunelint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position

# A node's first position, or the position just after it, in the tree the rule walked.
Locate = Callable[[Any], Position]


class NodeEdit(NamedTuple):
    """Replace `node`'s code with `content`, or insert `content` before or after it."""

    node: Any
    content: str
    where: str = "replace"  # "replace" | "before" | "after"


class NodeFix(NamedTuple):
    message: str
    edits: tuple[NodeEdit, ...]
    applicability: Applicability = "safe"


class Report(NamedTuple):
    node: Any
    message: str
    fix: NodeFix | None = None
    end_node: Any = None


def as_diagnostic(report: Report, code: str, filename: str, url: str, start: Locate, end: Locate) -> Diagnostic:
    """A report as a finding, its nodes located by `start` and `end` (either kind of tree)."""
    fix = None
    if report.fix is not None:
        edits = tuple(_edit(e, start, end) for e in report.fix.edits)
        fix = Fix(report.fix.message, edits, report.fix.applicability)
    return Diagnostic(
        code=code,
        message=report.message,
        filename=filename,
        location=start(report.node),
        end_location=end(report.end_node or report.node),
        fix=fix,
        url=url,
    )


def _edit(edit: NodeEdit, start: Locate, end: Locate) -> Edit:
    if edit.where == "before":
        first = start(edit.node)
        return Edit(edit.content, first, first)
    if edit.where == "after":
        last = end(edit.node)
        return Edit(edit.content, last, last)
    return Edit(edit.content, start(edit.node), end(edit.node))
