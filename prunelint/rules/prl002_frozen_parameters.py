from __future__ import annotations

import ast

from prunelint.model.arguments import keyword_argument, literal
from prunelint.model.names import dotted_name
from prunelint.rules.base import Invalid
from prunelint.rules.node_rule import NodeRule

_PARAMETER_ITERATORS = ("parameters", "named_parameters")
# Builtins that cannot change requires_grad, so passing the model to them keeps it frozen.
_HARMLESS_BUILTINS = frozenset({"print", "len", "isinstance", "hasattr", "repr", "str", "type", "id"})


class FrozenParametersBeforeTracing(NodeRule):
    """The model's parameters are frozen before a pruner or dependency graph is built.

    Torch-Pruning traces the model through autograd to find coupled layers. A parameter with
    `requires_grad=False` records no autograd node, so after `model.requires_grad_(False)` (or
    `p.requires_grad = False` for every parameter) the graph has a single node and nothing is
    pruned: silently, and unlike PRL001 even without `python -O`, since 1.6.1 asserts only on
    grad mode (#463, #136, #178, #356). Freezing is common before pruning a pretrained model or
    an LLM to save memory.

    The rule fires when the same name (or attribute chain) that is frozen is then given to a
    pruner or to `build_dependency`, in the same function, with nothing in between that might
    unfreeze it: a `requires_grad_()` or `requires_grad = ...` other than `False`, a rebinding
    of the name, or a call the model is passed to (which might unfreeze it). Freezing only a part
    (`model.backbone.requires_grad_(False)`, or a loop whose body decides per parameter) and
    freezing inside an `if` or a loop are not judged. Re-enable gradients before building the
    pruner (`model.requires_grad_(True)`), and freeze again afterwards if needed.
    """

    CODE = "PRL002"
    NAME = "frozen-parameters-before-tracing"
    MESSAGE = (
        "`{model}`'s parameters are frozen when {what}. They were frozen earlier in this function "
        "({how}) and nothing re-enables them: Torch-Pruning traces through autograd, so its graph "
        "gets a single node and nothing is pruned, silently. Call `{model}.requires_grad_(True)` "
        "before building it."
    )
    PREFILTER_WORDS = ("torch_pruning", "build_dependency")

    VALID = [
        # Re-enabled in between.
        """
import torch_pruning as tp

model.requires_grad_(True)
pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
""",
        """
import torch_pruning as tp
model.requires_grad_(False)
model.requires_grad_(True)
pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
        # Partial freezing, per-parameter decisions, and freezing under a condition.
        """
import torch_pruning as tp
model.backbone.requires_grad_(False)
for name, p in model.named_parameters():
    if "head" not in name:
        p.requires_grad = False
if args.freeze:
    model.requires_grad_(False)
pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
        # A frozen teacher, a pruned student.
        """
import torch_pruning as tp
teacher.requires_grad_(False)
pruner = tp.pruner.BasePruner(student, x, importance=imp)
""",
        # Frozen in another function; rebound in between; passed to an unknown helper.
        """
import torch_pruning as tp
def freeze(model):
    model.requires_grad_(False)
def prune(model, loader):
    pruner = tp.pruner.BasePruner(model, x, importance=imp)
def prune_fresh():
    model.requires_grad_(False)
    model = load_model()
    tp.DependencyGraph().build_dependency(model, example_inputs=x)
def prune_unfrozen():
    model.requires_grad_(False)
    set_trainable(model, True)
    tp.DependencyGraph().build_dependency(model, example_inputs=x)
""",
        # Frozen after the pruner is built.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp)
for p in model.parameters():
    p.requires_grad = False
""",
    ]
    INVALID = [
        Invalid("""
import torch_pruning as tp

model.requires_grad_(False)
pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
""", line=5),
        Invalid(
            """
import torch_pruning as tp
for p in model.parameters():
    p.requires_grad = False
model = model.cuda()
pruner = tp.pruner.MetaPruner(model, x, imp, ignored_layers=[model.fc])
""",
            6,
        ),
        Invalid(
            """
import torch
import torch_pruning as tp
def build_graph(model, x):
    for name, param in model.named_parameters():
        param.requires_grad_(False)
    with torch.enable_grad():
        return tp.DependencyGraph().build_dependency(model, example_inputs=x)
""",
            8,
        ),
        Invalid(
            """
import torch_pruning as tp
class Trainer:
    def prune(self):
        self.model.requires_grad_(False)
        tp.utils.count_ops_and_params(self.model, self.x)
        self.pruner = tp.pruner.BasePruner(self.model, self.x, importance=self.imp)
""",
            7,
        ),
    ]

    # One frame per function (and the module): frozen name -> how it was frozen. `depth` counts
    # the enclosing ifs, loops and trys, where a freeze may not run.
    def visit_Module(self, node: ast.Module) -> None:
        self._frames: list[dict[str, str]] = [{}]
        self._depth: list[int] = [0]
        data = self.api.table("dependency_graph_building")
        self._graph_methods = frozenset(data.get("methods", ("build_dependency",)))
        self._self_returning = frozenset(data.get("self_returning", ()))

    def _enter(self, node: ast.AST) -> None:
        self._frames.append({})
        self._depth.append(0)

    def _exit(self, node: ast.AST) -> None:
        self._frames.pop()
        self._depth.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _enter
    leave_FunctionDef = leave_AsyncFunctionDef = _exit
    visit_Lambda = _enter
    leave_Lambda = _exit
    visit_ClassDef = _enter
    leave_ClassDef = _exit

    def _deeper(self, node: ast.AST) -> None:
        self._depth[-1] += 1

    def _shallower(self, node: ast.AST) -> None:
        self._depth[-1] -= 1

    # `Try` as libcst's was: a `try` with `except*` (`TryStar` in both trees) was not counted.
    visit_If = _deeper
    leave_If = _shallower
    visit_While = _deeper
    leave_While = _shallower
    visit_Try = _deeper
    leave_Try = _shallower
    visit_Match = _deeper
    leave_Match = _shallower
    visit_IfExp = _deeper
    leave_IfExp = _shallower
    visit_BoolOp = _deeper
    leave_BoolOp = _shallower
    # An `async for` is a loop that freezes nothing the rule judges.
    visit_AsyncFor = _deeper
    leave_AsyncFor = _shallower

    def visit_For(self, node: ast.For) -> None:
        frozen = self._loop_freeze(node)
        if frozen is not None and self._depth[-1] == 0:
            self._frames[-1][frozen] = f"`requires_grad = False` over `{frozen}.{_iter_method(node)}()`"
        self._depth[-1] += 1

    def leave_For(self, node: ast.For) -> None:
        self._depth[-1] -= 1

    def _loop_freeze(self, node: ast.For) -> str | None:
        """`model` for `for p in model.parameters(): p.requires_grad = False` (tuples too)."""
        method = _iter_method(node)
        if method is None or node.orelse:
            return None
        owner = dotted_name(node.iter.func.value)  # type: ignore[attr-defined]
        target = node.target
        if method == "named_parameters":
            if not (type(target) is ast.Tuple and len(target.elts) == 2):
                return None
            target = target.elts[1]
            if type(target) is ast.Starred:  # `for n, *p in ...`: libcst's StarredElement value
                target = target.value
        if owner is None or type(target) is not ast.Name or not self._indented_body(node):
            return None
        # Some statement of the body itself (not under an if) freezes the loop variable.
        for statement in node.body:
            if _freezes(statement, target.id):
                return owner
        return None

    def _indented_body(self, node: ast.For) -> bool:
        """Whether the body is an indented block, not statements after the colon (libcst's
        `IndentedBlock`, not its `SimpleStatementSuite`)."""
        if self.text is None:
            return True
        text, iterable = self.text.text, node.iter
        i, n = self.text.offset(iterable.end_lineno, iterable.end_col_offset), len(text)  # type: ignore[arg-type]
        # Up to the colon: closing parentheses of the iterable, whitespace, comments.
        while i < n and text[i] != ":":
            if text[i] == "#":
                while i < n and text[i] not in "\r\n":
                    i += 1
            else:
                i += 1
        i += 1
        # After it: a line break (a comment first) starts a block; a statement is a suite.
        while i < n:
            char = text[i]
            if char in " \t\f":
                i += 1
            elif char == "\\" and text[i + 1 : i + 2] in ("\n", "\r"):
                i += 3 if text[i + 1 : i + 3] == "\r\n" else 2
            else:
                return char in "#\r\n"
        return True

    def visit_Call(self, node: ast.Call) -> None:
        frame = self._frames[-1]
        func = node.func
        # `x.requires_grad_(...)`: freezes x, or (anything but False) may re-enable something.
        if type(func) is ast.Attribute and func.attr == "requires_grad_":
            if _false_argument(node):
                owner = dotted_name(func.value)
                if owner is not None and self._depth[-1] == 0:
                    frame[owner] = "`requires_grad_(False)`"
            else:
                frame.clear()
            return
        model = self._traced_model(node)
        if model is not None:
            name = dotted_name(model)
            if name is not None and name in frame:
                how = frame[name]
                what = "the pruner is built" if self.pruner_class(node) else "the dependency graph is built"
                self.report(node, self.MESSAGE.format(model=name, how=how, what=what))
            return
        if not frame:  # nothing frozen here: nothing a call could unfreeze
            return
        # A call the model is passed to might unfreeze it (unless it is torch's or Torch-Pruning's).
        qualified = self.qualified_name(func)
        if qualified is not None and qualified.split(".")[0] in ("torch", "torch_pruning"):
            return
        if type(func) is ast.Name and func.id in _HARMLESS_BUILTINS:
            return
        values = [arg.value if type(arg) is ast.Starred else arg for arg in node.args]
        values.extend(keyword.value for keyword in node.keywords)
        for value in values:
            name = dotted_name(value)
            if name is not None:
                for frozen in list(frame):
                    if frozen == name or frozen.startswith(name + ".") or name.startswith(frozen + "."):
                        del frame[frozen]

    def _traced_model(self, node: ast.Call) -> ast.expr | None:
        """The model a pruner construction or `build_dependency` call traces, if it is one."""
        func = node.func
        is_graph = type(func) is ast.Attribute and func.attr in self._graph_methods
        if not is_graph and self.pruner_class(node) is None:
            return None
        model = keyword_argument(node, "model")
        if model is not None:
            return model
        # The first argument as written: a plain positional one precedes every keyword.
        first = node.args[0] if node.args else None
        if first is None or type(first) is ast.Starred:
            return None
        return first

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._unfreeze_assignment(target, node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._unfreeze_assignment(node.target, None)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._unfreeze_assignment(node.target, node.value)

    def leave_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._rebind(target, node.value)

    def leave_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._rebind(node.target, node.value)

    def _unfreeze_assignment(self, target: ast.expr, value: ast.expr | None) -> None:
        """`x.requires_grad = <anything but False>` may re-enable any parameter."""
        if type(target) is ast.Attribute and target.attr == "requires_grad":
            if value is None or literal(value) is not False:
                self._frames[-1].clear()

    def _rebind(self, target: ast.expr, value: ast.expr | None) -> None:
        """A new value for the name unfreezes it, unless it is the module itself (`.cuda()`)."""
        frame = self._frames[-1]
        if type(target) in (ast.Tuple, ast.List):
            for element in target.elts:  # type: ignore[attr-defined]
                self._rebind(element.value if type(element) is ast.Starred else element, None)
            return
        name = dotted_name(target)
        if name is None or not any(f == name or f.startswith(name + ".") for f in frame):
            return
        source_name = _self_returning_source(value, self._self_returning)
        for frozen in [f for f in frame if f == name or f.startswith(name + ".")]:
            entry = frame.pop(frozen)
            if source_name == name and frozen == name:
                frame[frozen] = entry


def _false_argument(call: ast.Call) -> bool:
    """`requires_grad_(False)` or `requires_grad_(requires_grad=False)`."""
    if len(call.args) + len(call.keywords) != 1:
        return False
    if call.args:
        value = call.args[0]
        if type(value) is ast.Starred:
            return False
    else:
        keyword = call.keywords[0]
        if keyword.arg != "requires_grad":  # `**kwargs` too
            return False
        value = keyword.value
    return literal(value) is False


def _iter_method(node: ast.For) -> str | None:
    iterable = node.iter
    if (
        type(iterable) is ast.Call
        and type(iterable.func) is ast.Attribute
        and iterable.func.attr in _PARAMETER_ITERATORS
        and not iterable.args
        and not iterable.keywords
    ):
        return iterable.func.attr
    return None


def _freezes(statement: ast.stmt, name: str) -> bool:
    """`name.requires_grad = False` or `name.requires_grad_(False)`."""
    if type(statement) is ast.Assign and literal(statement.value) is False:
        return any(
            type(t) is ast.Attribute and t.attr == "requires_grad" and type(t.value) is ast.Name and t.value.id == name
            for t in statement.targets
        )
    if type(statement) is ast.Expr and type(statement.value) is ast.Call:
        func = statement.value.func
        return (
            type(func) is ast.Attribute
            and func.attr == "requires_grad_"
            and type(func.value) is ast.Name
            and func.value.id == name
            and _false_argument(statement.value)
        )
    return False


def _self_returning_source(value: ast.expr | None, methods: frozenset[str]) -> str | None:
    """`model` for `model.cuda()`, `model.to(device).eval()`: calls that return the module itself.
    None for no value (an element of a tuple target)."""
    if value is None:
        return None
    while type(value) is ast.Call and type(value.func) is ast.Attribute and value.func.attr in methods:
        if value.func.attr == "requires_grad_" and not _false_argument(value):
            return None
        value = value.func.value
    return dotted_name(value)
