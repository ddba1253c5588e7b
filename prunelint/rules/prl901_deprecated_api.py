from __future__ import annotations

from typing import TYPE_CHECKING

from prunelint.analysis.lazy import cst
from prunelint.rules.base import Invalid
from prunelint.rules.cst_rule import CstRule, NodeEdit, NodeFix

if TYPE_CHECKING:
    import libcst


class DeprecatedApi(CstRule):
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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._classes: dict[str, str] = dict(self.api.table("deprecated_api").get("classes", {}))
        self._keywords: dict[str, str] = dict(self.api.table("deprecated_api").get("keywords", {}))
        self._attributes: list[libcst.Attribute] = []
        self._imports: list[libcst.ImportAlias] = []
        self._calls: list[libcst.Call] = []
        # Every plain Name node spelling a deprecated or replacement class name, and the names
        # bound by anything but an import (params, loop targets, ...), to keep renames safe.
        self._names: dict[str, list[libcst.Name]] = {}
        self._spellings = set(self._classes) | set(self._classes.values())  # the names that matter
        self._not_plain: set[int] = set()
        self._bound: set[str] = set()
        self._in_strings: set[str] = set()
        self._imported: dict[str, int] = {}  # local name -> how many imports bind it

    # -- collection (resolved in leave_Module, when every import has been seen) ------------------
    def visit_Attribute(self, node: "libcst.Attribute") -> None:
        if node.attr.value in self._spellings:
            self._not_plain.add(id(node.attr))
            if node.attr.value in self._classes:
                self._attributes.append(node)

    def visit_ImportAlias(self, node: "libcst.ImportAlias") -> None:
        for name in _names_in(node.name) + (_names_in(node.asname.name) if node.asname else []):
            self._not_plain.add(id(name))
        if isinstance(node.name, cst.Name) and node.name.value in self._classes:
            self._imports.append(node)
        if node.asname is None:  # `import a.b` binds `a`; `from m import a` binds `a`
            local = _names_in(node.name)[0].value
        else:
            local = _names_in(node.asname.name)[0].value if _names_in(node.asname.name) else ""
        self._imported[local] = self._imported.get(local, 0) + 1

    def visit_ImportFrom(self, node: "libcst.ImportFrom") -> None:
        if node.module is not None:
            for name in _names_in(node.module):
                self._not_plain.add(id(name))

    def visit_Arg(self, node: "libcst.Arg") -> None:
        if node.keyword is not None:
            self._not_plain.add(id(node.keyword))

    def visit_Call(self, node: "libcst.Call") -> None:
        if any(arg.keyword is not None and arg.keyword.value in self._keywords for arg in node.args):
            self._calls.append(node)

    def visit_Name(self, node: "libcst.Name") -> None:
        if node.value in self._spellings:
            self._names.setdefault(node.value, []).append(node)

    def visit_SimpleString(self, node: "libcst.SimpleString") -> None:
        for old, new in self._classes.items():
            for word in (old, new):
                if word in node.value:
                    self._in_strings.add(word)

    # Bindings other than imports: a rename is unsafe where either name is bound this way.
    def _bind(self, target: "libcst.CSTNode | None") -> None:
        if target is not None:
            self._bound.update(name.value for name in _names_in(target))

    def visit_AssignTarget(self, node: "libcst.AssignTarget") -> None:
        self._bind(node.target)

    def visit_AnnAssign(self, node: "libcst.AnnAssign") -> None:
        self._bind(node.target)

    def visit_AugAssign(self, node: "libcst.AugAssign") -> None:
        self._bind(node.target)

    def visit_For(self, node: "libcst.For") -> None:
        self._bind(node.target)

    def visit_CompFor(self, node: "libcst.CompFor") -> None:
        self._bind(node.target)

    def visit_AsName(self, node: "libcst.AsName") -> None:
        self._bind(node.name)

    def visit_NamedExpr(self, node: "libcst.NamedExpr") -> None:
        self._bind(node.target)

    def visit_Param(self, node: "libcst.Param") -> None:
        self._bind(node.name)

    def visit_FunctionDef(self, node: "libcst.FunctionDef") -> None:
        self._bind(node.name)

    def visit_ClassDef(self, node: "libcst.ClassDef") -> None:
        self._bind(node.name)

    def visit_Global(self, node: "libcst.Global") -> None:
        for item in node.names:
            self._bind(item.name)

    def visit_Nonlocal(self, node: "libcst.Nonlocal") -> None:
        for item in node.names:
            self._bind(item.name)

    def visit_Del(self, node: "libcst.Del") -> None:
        self._bind(node.target)

    def visit_MatchAs(self, node: "libcst.MatchAs") -> None:
        self._bind(node.name)

    def visit_MatchStar(self, node: "libcst.MatchStar") -> None:
        self._bind(node.name)

    # -- reports ---------------------------------------------------------------------------------
    def leave_Module(self, original_node: "libcst.Module") -> None:
        deprecated = self._deprecated_qualnames()
        for node in self._attributes:
            if self.qualified_name(node) in deprecated:
                old, new = node.attr.value, self._classes[node.attr.value]
                fix = NodeFix(f"Replace `{old}` with `{new}`", (NodeEdit(node.attr, new),))
                self.report(node.attr, self._message(old, new, " (an alias kept for compatibility)"), fix)
        for alias in self._imports:
            if self._imports_deprecated(alias, deprecated):
                old = alias.name.value
                message = self._message(old, self._classes[old], " (an alias kept for compatibility)")
                self.report(alias.name, message, self._import_fix(alias))
        for call in self._calls:
            self._keyword_reports(call)

    def _deprecated_qualnames(self) -> frozenset[str]:
        return frozenset(
            name
            for name, cls in self.api.pruner_classes.items()
            if cls in self._classes and name.startswith("torch_pruning.")
        )

    def _imports_deprecated(self, alias: "libcst.ImportAlias", deprecated: frozenset[str]) -> bool:
        # The alias's own local name resolves through the import: `MetaPruner` or `MP`.
        local = alias.asname.name if alias.asname is not None else alias.name
        if not isinstance(local, cst.Name):
            return False
        return self.qualified_name(cst.Name(local.value)) in deprecated

    def _import_fix(self, alias: "libcst.ImportAlias") -> NodeFix | None:
        old = alias.name.value
        new = self._classes[old]
        title = f"Import `{new}` instead of `{old}`"
        if alias.asname is not None:  # `MetaPruner as MP`: uses keep their own name
            return NodeFix(title, (NodeEdit(alias.name, new),))
        # The uses are renamed too: only where both names mean nothing else in this file.
        if self._imported.get(old) != 1 or new in self._imported or old in self._bound or new in self._bound:
            return None
        if old in self._in_strings or new in self._in_strings:
            return None
        if any(id(n) not in self._not_plain for n in self._names.get(new, ())):
            return None
        uses = [n for n in self._names.get(old, ()) if id(n) not in self._not_plain]
        edits = (NodeEdit(alias.name, new),) + tuple(NodeEdit(n, new) for n in uses)
        return NodeFix(f"{title}, and rename its uses", edits)

    def _keyword_reports(self, call: "libcst.Call") -> None:
        qualified = self.qualified_name(call.func)
        if qualified is None or not qualified.startswith("torch_pruning.") or self.pruner_class(call) is None:
            return
        given = {arg.keyword.value for arg in call.args if arg.keyword is not None}
        positional = sum(1 for arg in call.args if arg.keyword is None and not arg.star)
        # A 4th positional binds a parameter the keyword's new name could collide with.
        fixable = positional <= 3 and not any(arg.star for arg in call.args)
        for arg in call.args:
            if arg.keyword is None or arg.keyword.value not in self._keywords:
                continue
            old, new = arg.keyword.value, self._keywords[arg.keyword.value]
            why = ""
            applicability = "safe"
            if old == "channel_groups":
                why = " (Torch-Pruning applies `channel_groups` to output channels only)"
                if not isinstance(arg.value, (cst.Dict, cst.DictComp)):
                    applicability = "unsafe"
            fix = None
            if fixable and new not in given:
                fix = NodeFix(f"Rename `{old}=` to `{new}=`", (NodeEdit(arg.keyword, new),), applicability)
            self.report(arg.keyword, self._message(f"{old}=", f"{new}=", why), fix)

    def _message(self, old: str, new: str, why: str) -> str:
        return self.MESSAGE.format(old=old, new=new, why=why)


def _names_in(node: "libcst.CSTNode | None") -> list["libcst.Name"]:
    """The names a binding target or a dotted module name spells (`a`, `a, *b`, `a.b.c`)."""
    if isinstance(node, cst.Name):
        return [node]
    if isinstance(node, cst.Attribute):
        return _names_in(node.value) + [node.attr]
    if isinstance(node, (cst.Tuple, cst.List)):
        return [name for element in node.elements for name in _names_in(element.value)]
    if isinstance(node, cst.StarredElement):
        return _names_in(node.value)
    if isinstance(node, cst.Del):
        return _names_in(node.target)
    return []  # subscripts and attributes of objects bind no name
