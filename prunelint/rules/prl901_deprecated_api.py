from __future__ import annotations

import ast
import io
import tokenize
from typing import TYPE_CHECKING, Iterator

from prunelint.rules.base import Invalid
from prunelint.rules.node_rule import NodeEdit, NodeFix, NodeRule

if TYPE_CHECKING:
    from prunelint.model.text import SourceText
    from prunelint.settings.apidata import ApiData


class DeprecatedApi(NodeRule):
    """A deprecated Torch-Pruning name or keyword is used.

    Torch-Pruning 1.6 keeps `MetaPruner` and `MagnitudePruner` only as aliases of `BasePruner`
    (`pruner/algorithms/compatibility.py`), and still accepts `ch_sparsity`, `ch_sparsity_dict`
    and `channel_groups`, with a warning on every construction, in favour of `pruning_ratio`,
    `pruning_ratio_dict` and `out_channel_groups` (`channel_groups` was always an output
    grouping: `out_channel_groups.update(channel_groups)`). Deprecated names are the next
    release's removed ones, as `max_ch_sparsity` and `LocalMagnitudePruner` were (see PRL902);
    the keywords were renamed in 1.3 (#206 still uses them).

    Fix (safe): the new name. A name imported with `from torch_pruning... import MetaPruner` is
    renamed at the import and at every use, unless the file binds either name otherwise or
    mentions it in a string (`__all__`). A keyword is renamed unless the call already passes the
    new one, has `*args`/`**kwargs`, or passes more than three positional arguments (which could
    bind the new name). Renaming `channel_groups` to `out_channel_groups` is safe for a literal
    dict; for a dict held in a variable it is offered as an unsafe fix, because Torch-Pruning then
    adds the group counts it detects to the caller's dict instead of to its own default.

    Code whose `import torch_pruning` finds an older copy shipped in its own tree (a
    `torch_pruning/` folder beside it or above it, without `BasePruner`: Diff-Pruning's
    `ddpm_exp/`, projective-pruning) is not judged: what is deprecated in today's release is that
    copy's current API, and today's names do not exist there. A copy inside another package
    (`LLMPruner.torch_pruning`) is never the installed `torch_pruning`.
    """

    CODE = "PRL901"
    NAME = "deprecated-api"
    MESSAGE = "`{old}` is deprecated in Torch-Pruning: use `{new}`{why}."
    FIXABLE = True
    PREFILTER_WORDS = ("torch_pruning",)
    JUDGES_INSTALLED_API = True

    VALID = [
        """
import torch_pruning as tp

pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp, pruning_ratio=0.5)
""",
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, pruning_ratio=0.5, out_channel_groups=groups)
""",
        # Not Torch-Pruning's: a class of the same name, and a keyword of another function.
        """
from mylib.pruners import MetaPruner
import torch_pruning as tp
pruner = MetaPruner(model, ch_sparsity=0.5)
tp.utils.print_tool.before_pruning(model, ch_sparsity=0.5)
""",
        # A local variable that shadows nothing of torch_pruning.
        """
import torch_pruning as tp
MagnitudePruner = make_pruner
p = MagnitudePruner(model, ch_sparsity=0.3)
""",
    ]

    INVALID = [
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.MetaPruner(model, x, importance=imp)
""",
            line=3,
            fixed="""
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
        ),
        Invalid(
            """
from torch_pruning.pruner import MagnitudePruner
pruner = MagnitudePruner(model, x, importance=imp)
""",
            line=2,
            fixed="""
from torch_pruning.pruner import BasePruner
pruner = BasePruner(model, x, importance=imp)
""",
        ),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(
    model, x, importance=imp,
    ch_sparsity=0.5,
)
""",
            line=5,
            fixed="""
import torch_pruning as tp
pruner = tp.pruner.BasePruner(
    model, x, importance=imp,
    pruning_ratio=0.5,
)
""",
        ),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.GroupNormPruner(model, x, importance=imp, channel_groups={m.qkv: 3})
""",
            line=3,
            fixed="""
import torch_pruning as tp
pruner = tp.pruner.GroupNormPruner(model, x, importance=imp, out_channel_groups={m.qkv: 3})
""",
        ),
    ]

    @classmethod
    def file_words(cls, api: ApiData) -> tuple[str, ...]:
        # Each report spans a deprecated class name or keyword as written in the file.
        table = api.table("deprecated_api")
        return (*table.get("classes", {}), *table.get("keywords", {}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._classes: dict[str, str] = dict(self.api.table("deprecated_api").get("classes", {}))
        self._keywords: dict[str, str] = dict(self.api.table("deprecated_api").get("keywords", {}))
        # (attribute, its name, the span of the name): `tp.pruner.MetaPruner`, and the dotted
        # names of imports, which libcst held as attributes too.
        self._attributes: list[tuple[ast.expr, str, Span]] = []
        self._imports: list[ast.alias] = []
        self._calls: list[ast.Call] = []
        # Every use of a deprecated or replacement class name as a plain name (a `Name`
        # expression, or a name a pattern or type parameter spells), and the names bound by
        # anything but an import (params, loop targets, ...), to keep renames safe.
        self._names: dict[str, list[ast.AST]] = {}
        self._spellings = set(self._classes) | set(self._classes.values())  # the names that matter
        self._words = tuple(word for old, new in self._classes.items() for word in (old, new))
        self._bound: set[str] = set()
        self._strings: list[ast.expr] = []  # string literals that may spell one of `_words`
        self._in_fstring = 0
        self._imported: dict[str, int] = {}  # local name -> how many imports bind it
        self._file_has_words: bool | None = None
        self._asked: list[ast.expr] = []  # expressions made to ask the import names about

    # -- collection (resolved in leave_Module, when every import has been seen) ------------------
    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in self._classes:
            span, written = attribute_name(self.text, node)
            if written == node.attr:
                self._attributes.append((node, node.attr, span))

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for dotted, name, span in import_attributes(self.text, node, self._classes):
            expr = expression(dotted)
            self._asked.append(expr)  # kept alive: answers are remembered by the node's id
            self._attributes.append((expr, name, span))

    visit_ImportFrom = visit_Import

    def visit_alias(self, node: ast.alias) -> None:
        if node.name == "*":
            return
        if node.asname is not None:
            self._bound.add(node.asname)
        if "." not in node.name and node.name in self._classes:
            self._imports.append(node)
        # `import a.b` binds `a`; `from m import a` binds `a`
        local = node.name.split(".", 1)[0] if node.asname is None else node.asname
        self._imported[local] = self._imported.get(local, 0) + 1

    def visit_Call(self, node: ast.Call) -> None:
        if any(keyword.arg in self._keywords for keyword in node.keywords):
            self._calls.append(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in self._spellings and self.text.segment(node) == node.id:
            self._names.setdefault(node.id, []).append(node)

    def _spelled(self, name: str | None, row: int, col: int) -> None:
        """A name a pattern or a type parameter spells at (row, byte column) (a use, for libcst)."""
        if name in self._spellings:
            span, written = name_at(self.text, row, col)
            if written == name:
                self._names.setdefault(name, []).append(span)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        # `{k: p, **rest}`: `rest` follows the last pattern (or the brace), a comma and `**`.
        if node.rest in self._spellings:
            last = node.patterns[-1] if node.patterns else None
            row, col = (last.end_lineno, last.end_col_offset) if last else (node.lineno, node.col_offset + 1)
            found = _after(self.text, row, col, " \t\f,*)", node.end_lineno)  # type: ignore[arg-type]
            if found is not None:
                self._spelled(node.rest, *found)

    def visit_MatchClass(self, node: ast.MatchClass) -> None:
        # `Cls(p, name=pattern)`: each name follows the pattern (or the class) before it.
        previous: ast.AST = node.patterns[-1] if node.patterns else node.cls
        for name, pattern in zip(node.kwd_attrs, node.kwd_patterns):
            if name in self._spellings:
                found = _after(
                    self.text, previous.end_lineno, previous.end_col_offset, " \t\f,()", node.end_lineno  # type: ignore[arg-type]
                )
                if found is not None:
                    self._spelled(name, *found)
            previous = pattern

    def _type_param(self, node: ast.AST) -> None:
        # `T`, `*Ts`, `**P` (Python 3.12): the name follows the stars the node starts with.
        name: str = node.name  # type: ignore[attr-defined]
        if name in self._spellings:
            found = _after(self.text, node.lineno, node.col_offset, " \t\f*", node.end_lineno)  # type: ignore[attr-defined]
            if found is not None:
                self._spelled(name, *found)

    visit_TypeVar = visit_ParamSpec = visit_TypeVarTuple = _type_param

    def visit_Constant(self, node: ast.Constant) -> None:
        if not self._in_fstring and type(node.value) in (str, bytes) and self._may_spell(node):
            self._strings.append(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        if not self._in_fstring and self._may_spell(node):
            self._strings.append(node)
        self._in_fstring += 1

    def leave_JoinedStr(self, node: ast.JoinedStr) -> None:
        self._in_fstring -= 1

    def _may_spell(self, node: ast.expr) -> bool:
        if self._file_has_words is None:
            self._file_has_words = any(word in self.text.text for word in self._words)
        if not self._file_has_words:
            return False
        code = self.text.segment(node)
        return any(word in code for word in self._words)

    # Bindings other than imports: a rename is unsafe where either name is bound this way.
    def _bind(self, target: ast.AST | None) -> None:
        if target is not None:
            self._bound.update(_names_in(target))

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._bind(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._bind(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._bind(node.target)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self._bind(node.target)

    visit_AsyncFor = visit_For

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self._bind(node.target)

    def visit_withitem(self, node: ast.withitem) -> None:
        self._bind(node.optional_vars)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name is not None:
            self._bound.add(node.name)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._bind(node.target)

    def visit_arg(self, node: ast.arg) -> None:
        self._bound.add(node.arg)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self._bound.add(node.name)

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_Global(self, node: ast.Global | ast.Nonlocal) -> None:
        self._bound.update(node.names)

    visit_Nonlocal = visit_Global

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._bind(target)

    def visit_MatchAs(self, node: ast.MatchAs | ast.MatchStar) -> None:
        if node.name is not None:
            self._bound.add(node.name)

    visit_MatchStar = visit_MatchAs

    # -- reports ---------------------------------------------------------------------------------
    def leave_Module(self, node: ast.Module) -> None:
        deprecated = self._deprecated_qualnames()
        for attribute, old, span in self._attributes:
            if self.qualified_name(attribute) in deprecated:
                new = self._classes[old]
                fix = NodeFix(f"Replace `{old}` with `{new}`", (NodeEdit(span, new),))  # type: ignore[arg-type]
                self.report(span, self._message(old, new, " (an alias kept for compatibility)"), fix)  # type: ignore[arg-type]
        in_strings: set[str] | None = None
        for alias in self._imports:
            if self._imports_deprecated(alias, deprecated):
                old = alias.name
                span, written = name_at(self.text, alias.lineno, alias.col_offset)
                if written != old:
                    continue
                if in_strings is None and alias.asname is None:
                    in_strings = self._words_in_strings()
                message = self._message(old, self._classes[old], " (an alias kept for compatibility)")
                self.report(span, message, self._import_fix(alias, span, in_strings or set()))  # type: ignore[arg-type]
        for call in self._calls:
            self._keyword_reports(call)

    def _deprecated_qualnames(self) -> frozenset[str]:
        return frozenset(
            name
            for name, cls in self.api.pruner_classes.items()
            if cls in self._classes and name.startswith("torch_pruning.")
        )

    def _imports_deprecated(self, alias: ast.alias, deprecated: frozenset[str]) -> bool:
        # The alias's own local name resolves through the import: `MetaPruner` or `MP`.
        local = alias.asname if alias.asname is not None else alias.name
        name = ast.Name(id=local)
        self._asked.append(name)  # kept alive: answers are remembered by the node's id
        return self.qualified_name(name) in deprecated

    def _words_in_strings(self) -> set[str]:
        """The class names (old and new) spelled inside a string literal of the file, as written:
        in each simple string of a concatenation, and in the strings inside f-strings' fields."""
        found: set[str] = set()
        for node in self._strings:
            for literal in _simple_strings(self.text.segment(node)):
                found.update(word for word in self._words if word in literal)
        return found

    def _import_fix(self, alias: ast.alias, span: "Span", in_strings: set[str]) -> NodeFix | None:
        old = alias.name
        new = self._classes[old]
        title = f"Import `{new}` instead of `{old}`"
        if alias.asname is not None:  # `MetaPruner as MP`: uses keep their own name
            return NodeFix(title, (NodeEdit(span, new),))  # type: ignore[arg-type]
        # The uses are renamed too: only where both names mean nothing else in this file.
        if self._imported.get(old) != 1 or new in self._imported or old in self._bound or new in self._bound:
            return None
        if old in in_strings or new in in_strings:
            return None
        if self._names.get(new):
            return None
        uses = sorted(self._names.get(old, ()), key=lambda n: (n.lineno, n.col_offset))  # type: ignore[attr-defined]
        edits = (NodeEdit(span, new),) + tuple(NodeEdit(n, new) for n in uses)  # type: ignore[arg-type]
        return NodeFix(f"{title}, and rename its uses", edits)

    def _keyword_reports(self, call: ast.Call) -> None:
        qualified = self.qualified_name(call.func)
        if qualified is None or not qualified.startswith("torch_pruning.") or self.pruner_class(call) is None:
            return
        written = {id(k): keyword_name(self.text, k) for k in call.keywords if k.arg is not None}
        given = {name for _, name in written.values()}
        positional = sum(1 for arg in call.args if type(arg) is not ast.Starred)
        # A 4th positional binds a parameter the keyword's new name could collide with.
        fixable = positional <= 3 and not any(type(arg) is ast.Starred for arg in call.args)
        fixable = fixable and all(k.arg is not None for k in call.keywords)
        for keyword in call.keywords:
            if keyword.arg is None:
                continue
            span, old = written[id(keyword)]
            if old not in self._keywords:
                continue
            new = self._keywords[old]
            why = ""
            applicability = "safe"
            if old == "channel_groups":
                why = " (Torch-Pruning applies `channel_groups` to output channels only)"
                if type(keyword.value) not in (ast.Dict, ast.DictComp):
                    applicability = "unsafe"
            fix = None
            if fixable and new not in given:
                fix = NodeFix(f"Rename `{old}=` to `{new}=`", (NodeEdit(span, new),), applicability)  # type: ignore[arg-type]
            self.report(span, self._message(f"{old}=", f"{new}=", why), fix)  # type: ignore[arg-type]

    def _message(self, old: str, new: str, why: str) -> str:
        return self.MESSAGE.format(old=old, new=new, why=why)


def _names_in(node: ast.AST | None) -> list[str]:
    """The names a binding target spells (`a`, `a, *b`; `a.b` counts `a` and `b`, as libcst's
    names of an attribute target did)."""
    if type(node) is ast.Name:
        return [node.id]
    if type(node) is ast.Attribute:
        return _names_in(node.value) + [node.attr]
    if type(node) in (ast.Tuple, ast.List):
        return [name for element in node.elts for name in _names_in(element)]  # type: ignore[attr-defined]
    if type(node) is ast.Starred:
        return _names_in(node.value)  # type: ignore[attr-defined]
    return []  # subscripts and calls bind no name


# -- text ranges without a node of their own -----------------------------------------------------
class Span:
    """A range of the source in the parser's terms (1-based lines, UTF-8 byte columns), for code
    that `ast` gives no node: an attribute's or a keyword's name, a name in an import."""

    __slots__ = ("lineno", "col_offset", "end_lineno", "end_col_offset")

    def __init__(self, lineno: int, col_offset: int, end_lineno: int, end_col_offset: int) -> None:
        self.lineno = lineno
        self.col_offset = col_offset
        self.end_lineno = end_lineno
        self.end_col_offset = end_col_offset


def _is_name_char(char: str) -> bool:
    return ("_" + char).isidentifier()


def _byte_column(line: str, column: int) -> int:
    return column if line.isascii() else len(line[:column].encode("utf-8"))


def _span(text: "SourceText", row: int, column: int, end_row: int, end_column: int) -> Span:
    """The span between two character positions."""
    return Span(
        row, _byte_column(text.line(row), column), end_row, _byte_column(text.line(end_row), end_column)
    )


def name_at(text: "SourceText", row: int, byte_column: int) -> tuple[Span, str]:
    """The identifier that starts at (row, byte column), and its text as written."""
    line = text.line(row)
    start = text.column(row, byte_column)
    end = start
    while end < len(line) and _is_name_char(line[end]):
        end += 1
    return _span(text, row, start, row, end), line[start:end]


def attribute_name(text: "SourceText", node: ast.Attribute) -> tuple[Span, str]:
    """The name after the dot of `node` (where the attribute ends), and its text as written."""
    row = node.end_lineno or node.lineno
    line = text.line(row)
    end = text.column(row, node.end_col_offset or 0)
    start = end
    while start > 0 and _is_name_char(line[start - 1]):
        start -= 1
    return _span(text, row, start, row, end), line[start:end]


def keyword_name(text: "SourceText", keyword: ast.keyword) -> tuple[Span, str]:
    """The name of `name=value` (where the keyword starts), and its text as written."""
    return name_at(text, keyword.lineno, keyword.col_offset)


def _blanks(text: "SourceText", row: int, column: int, skip: str = " \t\f") -> tuple[int, int]:
    """The first character position from (row, character column) that is not in `skip`, across
    backslash continuations."""
    line = text.line(row)
    while True:
        while column < len(line) and line[column] in skip:
            column += 1
        if column == len(line) - 1 and line[column] == "\\":
            row, column = row + 1, 0
            line = text.line(row)
            continue
        return row, column


def _after(text: "SourceText", row: int, byte_column: int, skip: str, last_row: int) -> tuple[int, int] | None:
    """The (row, byte column) of the first code after (row, byte column) that is not in `skip`,
    a comment or a line break (in a bracket, where breaks and comments may be), up to `last_row`."""
    column = text.column(row, byte_column)
    while row <= last_row:
        row, column = _blanks(text, row, column, skip)
        line = text.line(row)
        if column >= len(line) or line[column] == "#":
            row, column = row + 1, 0
            continue
        return row, _byte_column(line, column)
    return None


def dotted_parts(text: "SourceText", row: int, byte_column: int) -> list[tuple[Span, str]]:
    """Each name of the dotted name (`a.b`, `a . b`) that starts at (row, byte column), in an
    import, with its text as written."""
    parts: list[tuple[Span, str]] = []
    line = text.line(row)
    start = text.column(row, byte_column)
    while True:
        end = start
        while end < len(line) and _is_name_char(line[end]):
            end += 1
        if end == start:
            break
        parts.append((_span(text, row, start, row, end), line[start:end]))
        r, c = _blanks(text, row, end)
        current = text.line(r)
        if c >= len(current) or current[c] != ".":
            break
        row, start = _blanks(text, r, c + 1)
        line = text.line(row)
    return parts


def dotted_span(text: "SourceText", row: int, byte_column: int) -> Span:
    """The dotted name (`a.b`, `a . b`) that starts at (row, byte column), in an import."""
    parts = dotted_parts(text, row, byte_column)
    first, last = parts[0][0], parts[-1][0]
    return Span(first.lineno, first.col_offset, last.end_lineno, last.end_col_offset)


def from_module_start(text: "SourceText", node: ast.ImportFrom) -> tuple[int, int]:
    """Where the module name of `from a.b import c` (or `from ..a.b import c`) starts."""
    row, column = _blanks(text, node.lineno, text.column(node.lineno, node.col_offset) + len("from"), " \t\f.")
    return row, _byte_column(text.line(row), column)


def from_module_span(text: "SourceText", node: ast.ImportFrom) -> Span:
    """The module name of `from a.b import c`."""
    return dotted_span(text, *from_module_start(text, node))


def import_attributes(
    text: "SourceText", node: ast.Import | ast.ImportFrom, wanted: "set[str] | dict[str, str]"
) -> Iterator[tuple[str, str, Span]]:
    """The attributes libcst saw in an import's dotted names (`a.b` of `import a.b.c` and of
    `from a.b.c import d`) whose last name is in `wanted`: (dotted name, last name, its span)."""
    if type(node) is ast.ImportFrom:
        if node.module is None or "." not in node.module:
            return
        starts = [(node.module, from_module_start(text, node))]
    else:
        starts = [(alias.name, (alias.lineno, alias.col_offset)) for alias in node.names if "." in alias.name]
    for dotted, (row, column) in starts:
        names = dotted.split(".")
        if not any(name in wanted for name in names[1:]):
            continue
        parts = dotted_parts(text, row, column)
        for index in range(1, len(parts)):
            span, written = parts[index]
            if written in wanted:
                yield ".".join(part for _, part in parts[: index + 1]), written, span


def expression(dotted: str) -> ast.expr:
    """An expression that spells `dotted` (`a.b.c`), to ask the import names about."""
    first, *rest = dotted.split(".")
    expr: ast.expr = ast.Name(id=first)
    for name in rest:
        expr = ast.Attribute(value=expr, attr=name)
    return expr


# -- the simple strings of a string expression, as written ---------------------------------------
_PREFIXES = {"", "r", "u", "b", "br", "rb", "f", "fr", "rf"}


def _simple_strings(code: str) -> Iterator[str]:
    """Each string literal (libcst's SimpleString) of a string expression's code: the parts of an
    implicit concatenation, and the literals inside an f-string's replacement fields."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(f"({code})").readline))
    except (tokenize.TokenError, SyntaxError):
        return
    for token in tokens:
        if token.type == tokenize.STRING:
            yield from _literal(token.string)


def _literal(token: str) -> Iterator[str]:
    """`token` if it is a simple string; the simple strings inside it if it is an f-string (one
    token before Python 3.12)."""
    quote = min(i for i in (token.find("'"), token.find('"'), len(token)) if i >= 0)
    prefix = token[:quote].lower()
    if "f" not in prefix:
        yield token
        return
    width = 3 if token[quote : quote + 3] in ("'''", '"""') else 1
    body = token[quote + width : len(token) - width]
    yield from _fstring_body(body, raw="r" in prefix)


def _fstring_body(body: str, raw: bool) -> Iterator[str]:
    i, n = 0, len(body)
    while i < n:
        char = body[i]
        if char == "\\" and not raw:
            if body.startswith("N{", i + 1):
                close = body.find("}", i)
                i = n if close < 0 else close + 1
            else:
                i += 2 if body.startswith("\\", i + 1) else 1
        elif char == "{":
            if body.startswith("{", i + 1):
                i += 2
            else:
                i = yield from _field(body, i + 1)
        elif char == "}":
            i += 2 if body.startswith("}", i + 1) else 1
        else:
            i += 1


def _field(body: str, i: int) -> Iterator[str]:
    """The string literals of the replacement field at `i` (after its `{`); returns the index
    after its `}`."""
    n = len(body)
    depth = 0
    while i < n:
        char = body[i]
        if char in "([{":
            depth += 1
            i += 1
        elif char in ")]}":
            if depth == 0:
                return i + 1
            depth -= 1
            i += 1
        elif char in "'\"":
            start = i
            while start > 0 and _is_name_char(body[start - 1]):
                start -= 1
            if body[start:i].lower() not in _PREFIXES:
                start = i
            quote = char * 3 if body.startswith(char * 3, i) else char
            close = body.find(quote, i + len(quote))
            end = n if close < 0 else close + len(quote)
            yield from _literal(body[start:end])
            i = end
        elif char == "!" and depth == 0 and not body.startswith("=", i + 1):
            i += 2  # the conversion
        elif char == ":" and depth == 0:
            return (yield from _format_spec(body, i + 1))
        else:
            i += 1
    return n


def _format_spec(body: str, i: int) -> Iterator[str]:
    n = len(body)
    while i < n:
        char = body[i]
        if char == "{":
            i = yield from _field(body, i + 1)
        elif char == "}":
            return i + 1
        else:
            i += 1
    return n
