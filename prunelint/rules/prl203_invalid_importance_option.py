from __future__ import annotations

import ast

from prunelint.rules.base import Invalid
from prunelint.rules.node_rule import NodeEdit, NodeFix, NodeRule


class InvalidImportanceOption(NodeRule):
    """An importance gets a `normalizer` or `group_reduction` string that Torch-Pruning does not know.

    Torch-Pruning 1.6.1 stores both options when the importance is built and reads them only
    when `pruner.step()` ranks channels (`GroupMagnitudeImportance._normalize` and `_reduce` in
    `pruner/importance.py`): an unknown string raises `NotImplementedError` then, after the
    model was loaded, traced and often trained. The normalizers are `sum`, `standarization`
    (the library's spelling, not "standardization"), `mean`, `max`, `gaussian`, `lamp` and
    `sentinel_<fraction>`, or None or a callable; the reductions are `mean`, `sum`, `max`,
    `prod`, `first`, `gate` or None. Only string literals are judged.

    Fix (safe, only when one known value is the close spelling): the library's spelling.
    """

    CODE = "PRL203"
    NAME = "invalid-importance-option"
    MESSAGE = (
        "`{keyword}={value}` is not a {what} Torch-Pruning knows{hint}. It raises "
        "NotImplementedError only when `step()` ranks channels, after the model was traced."
    )
    FIXABLE = True
    PREFILTER_WORDS = ("torch_pruning",)

    VALID = [
        """
import torch_pruning as tp
a = tp.importance.GroupMagnitudeImportance(p=2, normalizer="standarization", group_reduction="first")
b = tp.importance.TaylorImportance(normalizer=None, group_reduction="gate")
c = tp.importance.MagnitudeImportance(2, "mean", "sentinel_0.5")
d = tp.importance.GroupMagnitudeImportance(normalizer=my_normalizer)
""",
        # Not Torch-Pruning's importance.
        """
from mylib import Importance
imp = Importance(normalizer="zscore")
""",
    ]
    INVALID = [
        Invalid(
            """
import torch_pruning as tp
imp = tp.importance.GroupMagnitudeImportance(p=2, normalizer="standardization")
""",
            line=3,
            fixed="""
import torch_pruning as tp
imp = tp.importance.GroupMagnitudeImportance(p=2, normalizer="standarization")
""",
        ),
        Invalid(
            """
from torch_pruning.pruner.importance import GroupTaylorImportance
imp = GroupTaylorImportance("average")
""",
            line=3,
        ),
    ]

    def visit_Call(self, node: ast.Call) -> None:
        name = self.qualified_name(node.func)
        if name is None:
            return
        data = self.api.table("importance_options")
        module, _, cls = name.rpartition(".")
        signature = data.get("signatures", {}).get(cls)
        if signature is None or module not in data.get("modules", ()):
            return
        # In the order written; a positional argument's index counts `*args` before it.
        options: list[tuple[str, ast.expr]] = []
        for index, arg in enumerate(node.args):
            if type(arg) is not ast.Starred and index < len(signature):
                options.append((signature[index], arg))
        for keyword in node.keywords:
            if keyword.arg is not None:
                options.append((keyword.arg, keyword.value))
        if node.keywords and node.args:
            options.sort(key=lambda option: (option[1].lineno, option[1].col_offset))
        for keyword, value in options:
            if keyword not in ("normalizer", "group_reduction") or not self._simple_string(value):
                continue
            text = value.value  # type: ignore[attr-defined]
            if self._known(keyword, text, data):
                continue
            choices = data["normalizers"] if keyword == "normalizer" else data["group_reductions"]
            from difflib import get_close_matches  # for a finding's suggestion only: rules load at start-up

            close = get_close_matches(text, choices, n=1, cutoff=0.75)
            hint = f" (did you mean `{close[0]!r}`?)" if close else f" (known: {', '.join(choices)})"
            fix = None
            if close:
                quote = '"' if self.text.segment(value).endswith('"') else "'"
                fix = NodeFix(f"Use `{close[0]!r}`", (NodeEdit(value, f"{quote}{close[0]}{quote}"),))
            what = "normalizer" if keyword == "normalizer" else "group reduction"
            written = self.code(value, parentheses=True)
            self.report(value, self.MESSAGE.format(keyword=keyword, value=written, what=what, hint=hint), fix)

    def _simple_string(self, value: ast.expr) -> bool:
        """A single string literal (libcst's SimpleString): not bytes, not an f-string, not an
        implicit concatenation."""
        if type(value) is not ast.Constant or type(value.value) is not str:
            return False
        code = self.text.segment(value)
        if code[-1:] not in ("'", '"'):
            return False
        tokens = self.text.string_tokens(value)
        return tokens is not None and len(tokens) == 1

    @staticmethod
    def _known(keyword: str, value: str, data: dict) -> bool:
        if keyword == "group_reduction":
            return value in data["group_reductions"]
        if value in data["normalizers"]:
            return True
        for prefix in data.get("normalizer_prefixes", ()):
            if value.startswith(prefix):
                try:
                    float(value[len(prefix):])
                except ValueError:
                    return False
                return True
        return False
