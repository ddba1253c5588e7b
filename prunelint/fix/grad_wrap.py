"""PRL001's unsafe fix: wrap the statement that builds a pruner in a block that re-enables autograd.

Offered only where that is a plain edit: the construction is the value of a whole simple
statement on its own line (`pruner = tp.pruner.BasePruner(...)`, `DG = tp.DependencyGraph()
.build_dependency(...)`, `return build(...)`), no multi-line string would be re-indented, and
`torch` is imported as `torch` in the file and bound to nothing else. Computed only for files
with a PRL001 finding, with the same node ordinals as the facts (`LocatedNodes`).

The `ast` twin of `prunelint.rules.grad_wrap_fixes`, edit for edit: libcst's "simple statement
line with one statement" is told here from the text around the statement, which between
statements (and after a compound statement's last header expression) holds no string.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from itertools import pairwise

from prunelint.analysis.deepstack import with_deep_stack
from prunelint.analysis.facts import Loc
from prunelint.diagnostics import Edit, Fix, Position
from prunelint.model.located import LocatedNodes
from prunelint.model.text import SourceText
from prunelint.model.walk import walk

ENABLE_GRAD = "with torch.enable_grad():"
LEAVE_INFERENCE = "with torch.inference_mode(False):"

# Lines with their ends, split only where Python ends a line (as `prunelint.fix.fixer.split_lines`,
# which is not imported: its module imports libcst).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_NEWLINE = re.compile(r"\r\n?|\n")
_COMMENT = re.compile(r"#[^\r\n]*")


@dataclass(frozen=True)
class _Statement:
    start: Position  # 1-based row, 0-based column of the statement's first character
    end: Position  # 1-based row, 0-based column just after its last character


class _Wrappable(LocatedNodes):
    """For each call ordinal on the value of a simple statement: that statement and its parent."""

    def __init__(self) -> None:
        super().__init__()
        self.parents: list[ast.AST] = []
        self.statements: dict[Loc, tuple[ast.stmt, ast.AST]] = {}
        self._spine: set[int] = set()
        self._statement: tuple[ast.stmt, ast.AST] | None = None
        self.torch_imported = False
        self.torch_rebound = False

    def _simple(self, node: ast.stmt) -> None:
        expr = node.value  # type: ignore[attr-defined]
        if expr is None:
            return
        spine: set[int] = set()
        while True:  # `a.b(...)`, `a(...).b(...)`: the calls whose result is the value
            kind = type(expr)
            if kind is ast.Call:
                spine.add(id(expr))
                expr = expr.func
            elif kind is ast.Attribute:
                expr = expr.value
            else:
                break
        self._spine = spine
        self._statement = (node, self.parents[-2])

    def _left(self, node: ast.stmt) -> None:
        self._spine = set()
        self._statement = None

    visit_Expr = visit_Return = visit_AugAssign = _simple
    leave_Assign = leave_AnnAssign = leave_AugAssign = leave_Expr = leave_Return = _left

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._bind(target)
        self._simple(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._bind(node.target)
        self._simple(node)

    def _call(self, node: ast.Call, loc: Loc) -> None:
        if id(node) in self._spine and self._statement is not None:
            self.statements[loc] = self._statement

    # `torch` must be the module: imported as itself, never bound to anything else.
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname is None:
                if alias.name.split(".", 1)[0] == "torch":
                    self.torch_imported = True
            elif alias.asname == "torch":
                self.torch_rebound = True

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.torch_rebound = True  # a star import could bind anything
            elif (alias.asname or alias.name) == "torch":
                self.torch_rebound = True

    def _with_item(self, node: ast.withitem, loc: Loc) -> None:
        if node.optional_vars is not None:
            self._bind(node.optional_vars)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        self.torch_rebound |= node.name == "torch"

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self._bind(node.target)

    visit_AsyncFor = visit_For

    def visit_arg(self, node: ast.arg) -> None:
        self.torch_rebound |= node.arg == "torch"

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.torch_rebound |= node.name == "torch"

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._bind(node.target)

    def visit_Global(self, node: ast.Global) -> None:
        self.torch_rebound |= "torch" in node.names

    def _bind(self, target: ast.AST) -> None:
        kind = type(target)
        if kind is ast.Name:
            self.torch_rebound |= target.id == "torch"  # type: ignore[attr-defined]
        elif kind is ast.Tuple or kind is ast.List:
            for element in target.elts:  # type: ignore[attr-defined]
                self._bind(element)
        elif kind is ast.Starred:
            self._bind(target.value)  # type: ignore[attr-defined]


class WrapFixes:
    """The fixes of one file, by the ordinal of the flagged call."""

    def __init__(self, tree: ast.Module, text: str) -> None:
        self._text = text
        self._tree = tree
        self._source = SourceText(text)
        self._form_feeds = "\f" in text
        self._parent_of: dict[int, ast.AST] | None = None

        def work() -> _Wrappable:
            found = _Wrappable()
            walk(tree, [found], parents=found.parents)
            return found

        self._found = with_deep_stack(work)
        self._lines = _LINE.findall(text)

    def _statement(self, loc: Loc) -> _Statement | None:
        entry = self._found.statements.get(loc)
        if entry is None:
            return None
        node, parent = entry
        if not self._alone(node, parent):
            return None
        start, end = self._source.start(node), self._source.end(node)
        if self._form_feeds and not self._indent_kept(node):
            return None
        return _Statement(Position(start.row, start.column - 1), Position(end.row, end.column - 1))

    def _alone(self, node: ast.stmt, parent: ast.AST) -> bool:
        """Whether the statement is the only one on its logical line (libcst's one-statement
        `SimpleStatementLine`): neither after a compound statement's colon, nor `;`-separated
        from another statement. A trailing `;` is allowed."""
        text, source = self._text, self._source
        start = source.offset(node.lineno, node.col_offset)
        # Before: from the end of the last node of the parent written before this statement.
        here = (node.lineno, node.col_offset)
        best = (parent.lineno, parent.col_offset) if hasattr(parent, "lineno") else (1, 0)
        for child in _positioned_children(parent):
            if child is node:
                continue
            ends = (child.end_lineno, child.end_col_offset)
            if ends <= here and ends > best:
                best = ends
        between = _COMMENT.sub("", text[source.offset(*best) : start])
        mark = max(between.rfind(":"), between.rfind(";"))
        if mark >= 0 and not any(
            m.start() == 0 or between[m.start() - 1] != "\\" for m in _NEWLINE.finditer(between, mark + 1)
        ):
            return False
        # After: nothing but an optional `;` before the end of the line.
        i = _skip_blanks(text, source.offset(node.end_lineno, node.end_col_offset))
        if i < len(text) and text[i] == ";":
            i = _skip_blanks(text, i + 1)
        return i >= len(text) or text[i] in "#\r\n"

    def _indent_kept(self, node: ast.stmt) -> bool:
        """Whether libcst's columns on the statement's line are right though a form feed is in
        its indentation. libcst writes a line of a block with the sum of the blocks' relative
        indents, each the indentation of the block's first line less as many characters as its
        parent block's first line has; a line indented otherwise (a form feed resets Python's
        column count) gets other columns, and a fix that would be wrong."""
        source = self._source
        firsts: list[str] = []  # indentation of the first line of each enclosing block, innermost first
        parents = self._parents()
        child: ast.AST = node
        while True:
            parent = parents.get(id(child))
            if parent is None or type(parent) is ast.Module:
                break
            block = _block_of(parent, child)
            if block is not None and not (
                type(parent) is ast.If
                and block is parent.orelse
                and self._text.startswith("elif", source.offset(child.lineno, child.col_offset))
            ):
                firsts.append(_leading(source.line(_first_line(block[0]))))
            child = parent
        firsts.append("")
        width = sum(max(0, len(inner) - len(outer)) for inner, outer in pairwise(firsts))
        return width == len(_leading(source.line(node.lineno)))

    def _parents(self) -> dict[int, ast.AST]:
        if self._parent_of is None:
            self._parent_of = {id(child): parent for parent in ast.walk(self._tree) for child in ast.iter_child_nodes(parent)}
        return self._parent_of

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


def _positioned_children(node: ast.AST):
    """The children of `node` that have positions; those that have none (arguments, with-items,
    match cases) stand for their own children."""
    for child in ast.iter_child_nodes(node):
        if getattr(child, "end_lineno", None) is not None:
            yield child
        else:
            yield from _positioned_children(child)


def _block_of(parent: ast.AST, child: ast.AST) -> list | None:
    """The statement list (or a match's cases) of `parent` that holds `child`, where that is an
    indented block of its own (not a try's handlers)."""
    for name in ("body", "orelse", "finalbody", "cases"):
        block = getattr(parent, name, None)
        if type(block) is list and any(item is child for item in block):
            return block
    return None


def _first_line(node: ast.AST) -> int:
    if type(node) is ast.match_case:
        return node.pattern.lineno
    return min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])


def _leading(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t\f"))]


def _skip_blanks(text: str, i: int) -> int:
    """Past spaces, tabs, form feeds and backslash continuations."""
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t\f":
            i += 1
        elif c == "\\" and text.startswith("\r\n", i + 1):
            i += 3
        elif c == "\\" and i + 1 < n and text[i + 1] in "\r\n":
            i += 2
        else:
            break
    return i


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
