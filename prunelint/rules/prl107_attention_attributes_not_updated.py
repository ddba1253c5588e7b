from __future__ import annotations

import ast
from typing import NamedTuple

from prunelint.model.arguments import arguments, is_empty_container, literal
from prunelint.model.names import dotted_name
from prunelint.rules.base import Invalid
from prunelint.rules.node_rule import NodeRule


class _Construction(NamedTuple):
    call: ast.Call
    target: str
    order: int
    scope: int


class AttentionAttributesNotUpdated(NodeRule):
    """Attention heads are pruned, but the attention modules' head attributes are never updated.

    Pruning changes the q/k/v projections' weights, not the numbers an attention module's forward
    uses to reshape them: `num_heads`, `head_dim` (timm), `num_attention_heads`,
    `attention_head_size`, `all_head_size` (Hugging Face BERT/ViT), `num_key_value_heads`, or the
    model's `config`. Unless the code sets them from the pruned layers after `step()`, the pruned
    model fails in forward with a shape error (#101, #287, #393, #516). Torch-Pruning's own
    examples do it right after pruning (`m.num_heads = pruner.num_heads[m.qkv]`).

    The rule fires for a pruner built with `num_heads=` and stepped in the same file (unless
    both `prune_num_heads` and `prune_head_dims` are off, when attention keeps its shapes), when no
    such attribute (nor any attribute of a `config`) is assigned after the construction, or in
    another function of the file. A pruner that is built but stepped elsewhere is not judged.
    """

    CODE = "PRL107"
    NAME = "attention-attributes-not-updated"
    MESSAGE = (
        "The pruner prunes heads, but nothing in this file updates the attention modules afterwards. "
        "It is given `num_heads` and stepped, and none of {names}, or `config.*`, is set after it: "
        "the pruned model fails in forward. "
        "Set them from the pruned layers after `step()`, e.g. `m.num_heads = pruner.num_heads[m.qkv]`."
    )
    PREFILTER_WORDS = ("torch_pruning",)

    VALID = [
        # Hugging Face: the config is updated.
        """
import torch_pruning as tp

pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp, num_heads=num_heads,
                              prune_num_heads=True, head_pruning_ratio=0.5)
pruner.step()
for m in model.modules():
    if isinstance(m, Attention):
        m.num_heads = pruner.num_heads[m.qkv]
        m.head_dim = m.qkv.out_features // (3 * m.num_heads)
model(example_inputs)
""",
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, num_heads=num_heads)
pruner.step()
model.config.num_attention_heads = model.config.num_attention_heads // 2
""",
        # The update lives in a helper defined before the construction.
        """
import torch_pruning as tp
def fix_heads(model, pruner):
    for m in model.modules():
        if hasattr(m, "num_heads"):
            m.num_heads = pruner.num_heads[m.qkv]
def main():
    pruner = tp.pruner.BasePruner(model, x, importance=imp, num_heads=num_heads)
    pruner.step()
    fix_heads(model, pruner)
""",
        # Built here, stepped elsewhere.
        """
import torch_pruning as tp
def make_pruner(model, x, imp, num_heads):
    pruner = tp.pruner.BasePruner(model, x, importance=imp, num_heads=num_heads)
    return pruner
""",
        # Neither heads nor head dimensions are pruned: num_heads only groups the channels.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, num_heads=heads, prune_head_dims=False)
pruner.step()
""",
        # An empty num_heads, and setattr with the attribute's name.
        """
import torch_pruning as tp
p1 = tp.pruner.BasePruner(model, x, importance=imp, num_heads={})
p1.step()
p2 = tp.pruner.BasePruner(model, x, importance=imp, num_heads=heads)
p2.step()
for m in attention_modules:
    setattr(m, "num_heads", p2.num_heads[m.qkv])
""",
    ]
    INVALID = [
        Invalid("""
import torch_pruning as tp

pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp, num_heads=num_heads,
                              prune_num_heads=True, head_pruning_ratio=0.5)
pruner.step()
model(example_inputs)
""", line=4),
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp, num_heads=num_heads,
                              prune_num_heads=True, head_pruning_ratio=0.5)
for g in pruner.step(interactive=True):
    g.prune()
print(model)
""",
            3,
        ),
        # An update *before* the construction, in the same scope, does not count.
        Invalid(
            """
import torch_pruning as tp
def prune(model, x, imp, heads):
    for m in model.modules():
        m.num_heads = m.num_heads
    self.pruner = tp.pruner.BasePruner(model, x, importance=imp, num_heads=heads)
    self.pruner.step()
""",
            6,
        ),
    ]

    def visit_Module(self, node: ast.Module) -> None:
        self._order = 0
        self._scopes = [0]
        self._next_scope = 1
        self._constructions: list[_Construction] = []
        self._updates: list[tuple[int, int]] = []  # (order, scope)
        self._stepped: set[str] = set()
        data = self.api.table("attention_attributes")
        self._names = frozenset(data.get("names", ()))
        self._config = data.get("config", "config")
        self._step = data.get("step_method", "step")

    def _enter(self, node: ast.AST) -> None:
        self._scopes.append(self._next_scope)
        self._next_scope += 1

    def _exit(self, node: ast.AST) -> None:
        self._scopes.pop()

    visit_FunctionDef = _enter
    leave_FunctionDef = _exit
    visit_AsyncFunctionDef = _enter
    leave_AsyncFunctionDef = _exit
    visit_Lambda = _enter
    leave_Lambda = _exit

    def _tick(self) -> int:
        self._order += 1
        return self._order

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._assigned(target)
        if len(node.targets) == 1:
            self._construction(node.targets[0], node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._assigned(node.target)
            self._construction(node.target, node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._assigned(node.target)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if type(func) is ast.Attribute and func.attr == self._step:
            receiver = dotted_name(func.value)
            if receiver is not None:
                self._stepped.add(receiver)
        elif type(func) is ast.Name and func.id == "setattr" and len(node.args) + len(node.keywords) >= 2:
            name = _second_argument(node)
            if type(name) is ast.Constant and name.value in self._names and self._one_string(name):
                self._updates.append((self._tick(), self._scopes[-1]))

    def _one_string(self, node: ast.Constant) -> bool:
        """One string literal as written, not an implicit concatenation (`"num_" "heads"`),
        which the libcst version of this rule did not read."""
        if self.text is None:
            return True
        tokens = self.text.string_tokens(node)
        return tokens is None or len(tokens) == 1

    def _assigned(self, target: ast.expr) -> None:
        if type(target) in (ast.Tuple, ast.List):
            for element in target.elts:  # type: ignore[attr-defined]
                self._assigned(element.value if type(element) is ast.Starred else element)
            return
        if type(target) is not ast.Attribute:
            return
        if target.attr in self._names or _has_config(target.value, self._config):
            self._updates.append((self._tick(), self._scopes[-1]))

    def _construction(self, target: ast.expr, value: ast.expr) -> None:
        if type(value) is not ast.Call:
            return
        cls = self.pruner_class(value)
        name = dotted_name(target)
        if cls is None or name is None:
            return
        args = arguments(value, cls, self.api)
        keywords = self.api.table("pruner_keywords")
        heads = args.get(keywords.get("num_heads", "num_heads"))
        if heads is None or is_empty_container(heads):
            return
        # Neither heads nor head dimensions pruned: the attention modules keep their shapes.
        switch = args.get(keywords.get("prune_num_heads", "prune_num_heads"))
        dims = args.get("prune_head_dims")
        heads_off = literal(switch) is False if switch is not None else not args.open
        if heads_off and dims is not None and literal(dims) is False:
            return
        self._constructions.append(_Construction(value, name, self._tick(), self._scopes[-1]))

    def leave_Module(self, original_node: ast.Module) -> None:
        names = ", ".join(f"`.{n}`" for n in sorted(self._names))
        for built in self._constructions:
            if built.target not in self._stepped:
                continue
            if any(order > built.order or scope != built.scope for order, scope in self._updates):
                continue
            self.report(built.call, self.MESSAGE.format(names=names))


def _second_argument(call: ast.Call) -> ast.expr | None:
    """The value of the call's second argument as written, whatever its kind (`*x` gives `x`, a
    keyword its value), as the libcst version of this rule read `call.args[1].value`."""
    if not call.keywords:
        second = call.args[1] if len(call.args) > 1 else None
    elif len(call.args) >= 2 and not any(type(a) is ast.Starred for a in call.args):
        second = call.args[1]  # keywords follow plain positional arguments
    else:
        written = sorted([*call.args, *call.keywords], key=lambda a: (a.lineno, a.col_offset))
        second = written[1] if len(written) > 1 else None
    if type(second) is ast.Starred or type(second) is ast.keyword:
        return second.value
    return second


def _has_config(expr: ast.expr, config: str) -> bool:
    """True for `config`, `model.config`, `self.model.config.text_config`, ..."""
    while type(expr) is ast.Attribute:
        if expr.attr == config:
            return True
        expr = expr.value
    return type(expr) is ast.Name and expr.id == config
