from __future__ import annotations

from typing import TYPE_CHECKING

from prunelint.analysis.lazy import cst
from prunelint.rules.base import Invalid
from prunelint.rules.construction import literal
from prunelint.rules.cst_rule import CstRule

if TYPE_CHECKING:
    import libcst

_PARAMETER_ITERATORS = ("parameters", "named_parameters")
# Builtins that cannot change requires_grad, so passing the model to them keeps it frozen.
_HARMLESS_BUILTINS = frozenset({"print", "len", "isinstance", "hasattr", "repr", "str", "type", "id"})


class FrozenParametersBeforeTracing(CstRule):
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
    def visit_Module(self, node: "libcst.Module") -> None:
        self._frames: list[dict[str, str]] = [{}]
        self._depth: list[int] = [0]
        data = self.api.table("dependency_graph_building")
        self._graph_methods = frozenset(data.get("methods", ("build_dependency",)))
        self._self_returning = frozenset(data.get("self_returning", ()))

    def _enter(self, node: "libcst.CSTNode") -> None:
        self._frames.append({})
        self._depth.append(0)

    def _exit(self, node: "libcst.CSTNode") -> None:
        self._frames.pop()
        self._depth.pop()

    visit_FunctionDef = _enter
    leave_FunctionDef = _exit
    visit_Lambda = _enter
    leave_Lambda = _exit
    visit_ClassDef = _enter
    leave_ClassDef = _exit

    def _deeper(self, node: "libcst.CSTNode") -> None:
        self._depth[-1] += 1

    def _shallower(self, node: "libcst.CSTNode") -> None:
        self._depth[-1] -= 1

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
    visit_BooleanOperation = _deeper
    leave_BooleanOperation = _shallower

    def visit_For(self, node: "libcst.For") -> None:
        frozen = self._loop_freeze(node)
        if frozen is not None and self._depth[-1] == 0:
            self._frames[-1][frozen] = f"`requires_grad = False` over `{frozen}.{_iter_method(node)}()`"
        self._depth[-1] += 1

    def leave_For(self, node: "libcst.For") -> None:
        self._depth[-1] -= 1

    def _loop_freeze(self, node: "libcst.For") -> str | None:
        """`model` for `for p in model.parameters(): p.requires_grad = False` (tuples too)."""
        from prunelint.analysis.collector import dotted_name

        method = _iter_method(node)
        if method is None or node.orelse is not None or node.asynchronous is not None:
            return None
        owner = dotted_name(node.iter.func.value)  # type: ignore[attr-defined]
        target = node.target
        if method == "named_parameters":
            if not (isinstance(target, cst.Tuple) and len(target.elements) == 2):
                return None
            target = target.elements[1].value
        if owner is None or not isinstance(target, cst.Name) or not isinstance(node.body, cst.IndentedBlock):
            return None
        # Some statement of the body itself (not under an if) freezes the loop variable.
        for statement in node.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if _freezes(small, target.value):
                    return owner
        return None

    def visit_Call(self, node: "libcst.Call") -> None:
        from prunelint.analysis.collector import dotted_name

        frame = self._frames[-1]
        func = node.func
        # `x.requires_grad_(...)`: freezes x, or (anything but False) may re-enable something.
        if isinstance(func, cst.Attribute) and func.attr.value == "requires_grad_":
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
        if isinstance(func, cst.Name) and func.value in _HARMLESS_BUILTINS:
            return
        for arg in node.args:
            name = dotted_name(arg.value)
            if name is not None:
                for frozen in list(frame):
                    if frozen == name or frozen.startswith(name + ".") or name.startswith(frozen + "."):
                        del frame[frozen]

    def _traced_model(self, node: "libcst.Call") -> "libcst.BaseExpression | None":
        """The model a pruner construction or `build_dependency` call traces, if it is one."""
        func = node.func
        is_graph = isinstance(func, cst.Attribute) and func.attr.value in self._graph_methods
        if not is_graph and self.pruner_class(node) is None:
            return None
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "model":
                return arg.value
        first = node.args[0] if node.args else None
        if first is None or first.keyword is not None or first.star:
            return None
        return first.value

    def visit_Assign(self, node: "libcst.Assign") -> None:
        for target in node.targets:
            self._unfreeze_assignment(target.target, node.value)

    def visit_AugAssign(self, node: "libcst.AugAssign") -> None:
        self._unfreeze_assignment(node.target, None)

    def visit_AnnAssign(self, node: "libcst.AnnAssign") -> None:
        if node.value is not None:
            self._unfreeze_assignment(node.target, node.value)

    def leave_Assign(self, node: "libcst.Assign") -> None:
        for target in node.targets:
            self._rebind(target.target, node.value)

    def leave_AnnAssign(self, node: "libcst.AnnAssign") -> None:
        if node.value is not None:
            self._rebind(node.target, node.value)

    def _unfreeze_assignment(self, target: "libcst.BaseExpression", value: "libcst.BaseExpression | None") -> None:
        """`x.requires_grad = <anything but False>` may re-enable any parameter."""
        if isinstance(target, cst.Attribute) and target.attr.value == "requires_grad":
            if value is None or literal(value) is not False:
                self._frames[-1].clear()

    def _rebind(self, target: "libcst.BaseExpression", value: "libcst.BaseExpression") -> None:
        """A new value for the name unfreezes it, unless it is the module itself (`.cuda()`)."""
        from prunelint.analysis.collector import dotted_name

        frame = self._frames[-1]
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._rebind(element.value, cst.Name("None"))
            return
        name = dotted_name(target)
        if name is None or not any(f == name or f.startswith(name + ".") for f in frame):
            return
        source_name = _self_returning_source(value, self._self_returning)
        for frozen in [f for f in frame if f == name or f.startswith(name + ".")]:
            entry = frame.pop(frozen)
            if source_name == name and frozen == name:
                frame[frozen] = entry


def _false_argument(call: "libcst.Call") -> bool:
    """`requires_grad_(False)` or `requires_grad_(requires_grad=False)`."""
    if len(call.args) != 1:
        return False
    arg = call.args[0]
    if arg.star or (arg.keyword is not None and arg.keyword.value != "requires_grad"):
        return False
    return literal(arg.value) is False


def _iter_method(node: "libcst.For") -> str | None:
    iterable = node.iter
    if (
        isinstance(iterable, cst.Call)
        and isinstance(iterable.func, cst.Attribute)
        and iterable.func.attr.value in _PARAMETER_ITERATORS
        and not iterable.args
    ):
        return iterable.func.attr.value
    return None


def _freezes(small: "libcst.BaseSmallStatement", name: str) -> bool:
    """`name.requires_grad = False` or `name.requires_grad_(False)`."""
    if isinstance(small, cst.Assign) and literal(small.value) is False:
        return any(
            isinstance(t.target, cst.Attribute)
            and t.target.attr.value == "requires_grad"
            and isinstance(t.target.value, cst.Name)
            and t.target.value.value == name
            for t in small.targets
        )
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        func = small.value.func
        return (
            isinstance(func, cst.Attribute)
            and func.attr.value == "requires_grad_"
            and isinstance(func.value, cst.Name)
            and func.value.value == name
            and _false_argument(small.value)
        )
    return False


def _self_returning_source(value: "libcst.BaseExpression", methods: frozenset[str]) -> str | None:
    """`model` for `model.cuda()`, `model.to(device).eval()`: calls that return the module itself."""
    from prunelint.analysis.collector import dotted_name

    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in methods:
        if value.func.attr.value == "requires_grad_" and not _false_argument(value):
            return None
        value = value.func.value
    return dotted_name(value)
