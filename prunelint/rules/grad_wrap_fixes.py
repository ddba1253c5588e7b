"""PRL001's unsafe fix: wrap the statement that builds a pruner in a block that re-enables autograd.

Offered only where that is a plain edit: the construction is the value of a whole simple
statement on its own line (`pruner = tp.pruner.BasePruner(...)`, `DG = tp.DependencyGraph()
.build_dependency(...)`, `return build(...)`), no multi-line string would be re-indented, and
`torch` is imported as `torch` in the file and bound to nothing else. Computed only for files
with a PRL001 finding, with the same node ordinals as the facts (`LocatedNodes`).
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass

import libcst as cst

from prunelint.analysis.collector import LocatedNodes
from prunelint.analysis.facts import Loc
from prunelint.diagnostics import Edit, Fix, Position
from prunelint.analysis.locations import Reparsed

ENABLE_GRAD = "with torch.enable_grad():"
LEAVE_INFERENCE = "with torch.inference_mode(False):"
_STATEMENTS = (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Expr, cst.Return)


@dataclass(frozen=True)
class _Statement:
    start: Position  # 1-based row, 0-based column of the statement's first character
    end: Position  # 1-based row, 0-based column just after its last character


class _Wrappable(LocatedNodes):
    """For each call ordinal on the value of a whole simple statement: that statement."""

    def __init__(self) -> None:
        super().__init__()
        self.statements: dict[Loc, cst.BaseSmallStatement] = {}
        self._stack: list[tuple[cst.BaseSmallStatement, set[int]] | None] = []
        self.torch_imported = False
        self.torch_rebound = False

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        statement = node.body[0] if len(node.body) == 1 else None
        if not isinstance(statement, _STATEMENTS) or getattr(statement, "value", None) is None:
            self._stack.append(None)
            return
        spine: set[int] = set()
        expr = statement.value
        while True:  # `a.b(...)`, `a(...).b(...)`: the calls whose result is the value
            if isinstance(expr, cst.Call):
                spine.add(id(expr))
                expr = expr.func
            elif isinstance(expr, cst.Attribute):
                expr = expr.value
            else:
                break
        self._stack.append((statement, spine))

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self._stack.pop()

    def _call(self, node: cst.Call, loc: Loc) -> None:
        top = self._stack[-1] if self._stack else None
        if top is not None and id(node) in top[1]:
            self.statements[loc] = top[0]

    # `torch` must be the module: imported as itself, never bound to anything else.
    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            head = alias.name
            while isinstance(head, cst.Attribute):
                head = head.value
            if alias.asname is None and isinstance(head, cst.Name) and head.value == "torch":
                self.torch_imported = True

    def visit_AsName(self, node: cst.AsName) -> None:
        self._bind(node.name)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                if alias.asname is None:
                    self._bind(alias.name)
        else:
            self.torch_rebound = True  # a star import could bind anything

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._bind(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target)

    def visit_Param(self, node: cst.Param) -> None:
        self._bind(node.name)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._bind(node.name)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._bind(node.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target)

    def visit_Global(self, node: cst.Global) -> None:
        for item in node.names:
            self._bind(item.name)

    def _bind(self, target: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            self.torch_rebound |= target.value == "torch"
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value)
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value)


class WrapFixes:
    """The fixes of one file, by the ordinal of the flagged call."""

    def __init__(self, file: Reparsed) -> None:
        self._file = file
        self._found = _Wrappable()
        file.walk([self._found])
        self._lines = _split(file.text)

    def _statement(self, loc: Loc) -> _Statement | None:
        node = self._found.statements.get(loc)
        if node is None:
            return None
        rng = self._file.ranges([node])[node]
        return _Statement(Position(rng.start.line, rng.start.column), Position(rng.end.line, rng.end.column))

    def fix(self, loc: Loc, in_inference: bool) -> Fix | None:
        found = self._found
        if not found.torch_imported or found.torch_rebound:
            return None
        statement = self._statement(loc)
        if statement is None:
            return None
        first = self._lines[statement.start.row - 1]
        indent = first[: statement.start.column]
        if indent.strip():
            return None
        lines = self._lines[statement.start.row - 1 : statement.end.row]
        body = [line.rstrip("\r\n") for line in lines]
        body[-1] = body[-1][: statement.end.column]
        if not _strings_stay_on_their_lines("\n".join(b[len(indent):] if i == 0 else b for i, b in enumerate(body))):
            return None
        newline = first[len(first.rstrip("\r\n")):] or "\n"
        unit = "\t" if "\t" in indent else "    "
        header = LEAVE_INFERENCE if in_inference else ENABLE_GRAD
        indented = [indent + unit + body[0][len(indent):]] + [unit + line if line.strip() else line for line in body[1:]]
        content = indent + header + newline + newline.join(indented)
        edit = Edit(content, Position(statement.start.row, 1), Position(statement.end.row, statement.end.column + 1))
        title = "Wrap the construction in `{}`".format(header.rstrip(":"))
        return Fix(title, (edit,), "unsafe")


def _split(text: str) -> list[str]:
    from prunelint.fix.fixer import split_lines

    return split_lines(text)


def _strings_stay_on_their_lines(code: str) -> bool:
    """Re-indenting continuation lines is harmless unless one is inside a string literal."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == tokenize.STRING and token.start[0] != token.end[0]:
                return False
            if token.type == getattr(tokenize, "FSTRING_MIDDLE", -1) and token.start[0] != token.end[0]:
                return False
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return False
    return True
