"""What a pruner construction's arguments say, for the construction-site rules (PRL101-PRL107).

Only what the call itself spells out is read: a keyword, or a positional argument named through
the signature in the API data. A `*args` or `**kwargs` makes the rest unknown, and literal values
are told apart from everything else, so that the rules can stay silent where the call is unclear.
Not a rule module (its name does not start with `prl`); libcst is loaded lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from prunelint.analysis.lazy import cst

if TYPE_CHECKING:
    import libcst

    from prunelint.settings.apidata import ApiData

# A literal that is not a number, a bool or None.
NOT_LITERAL = object()


@dataclass(frozen=True)
class Arguments:
    """A pruner call's arguments by parameter name, as far as the call shows them."""

    cls: str
    values: Mapping[str, "libcst.BaseExpression"]
    positional: tuple["libcst.Arg", ...]
    # A `*args` or `**kwargs` (or positional arguments the signature does not name) may bind any
    # parameter that is not in `values`.
    open: bool

    def get(self, *names: str) -> "libcst.BaseExpression | None":
        for name in names:
            if name in self.values:
                return self.values[name]
        return None

    def absent(self, *names: str) -> bool:
        """True only where the call surely passes none of `names`."""
        return not self.open and all(name not in self.values for name in names)


def arguments(call: "libcst.Call", cls: str, api: "ApiData") -> Arguments:
    signature: list[str] = list(api.table("pruner_signatures").get(cls, ()))
    values: dict[str, libcst.BaseExpression] = {}
    positional: list[libcst.Arg] = []
    is_open = False
    for arg in call.args:
        if arg.star:
            is_open = True
        elif arg.keyword is not None:
            values[arg.keyword.value] = arg.value
        else:
            positional.append(arg)
            index = len(positional) - 1
            if index < len(signature):
                values.setdefault(signature[index], arg.value)
            else:
                is_open = True
    return Arguments(cls, values, tuple(positional), is_open)


def literal(expr: "libcst.BaseExpression") -> Any:
    """The value of a number, bool or None literal (`-0.5` too); NOT_LITERAL for anything else."""
    sign = 1
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, (cst.Minus, cst.Plus)):
        sign = -1 if isinstance(expr.operator, cst.Minus) else 1
        expr = expr.expression
        if not isinstance(expr, (cst.Integer, cst.Float)):
            return NOT_LITERAL
    if isinstance(expr, (cst.Integer, cst.Float)):
        try:
            return sign * expr.evaluated_value
        except (ValueError, SyntaxError):  # pragma: no cover - libcst parsed it as a number
            return NOT_LITERAL
    if isinstance(expr, cst.Name) and expr.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[expr.value]
    return NOT_LITERAL


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_empty_container(expr: "libcst.BaseExpression") -> bool:
    """`[]`, `()`, `{}`, `list()`, `dict()`, `tuple()`, `set()`."""
    if isinstance(expr, (cst.List, cst.Tuple, cst.Dict, cst.Set)):
        return not expr.elements
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name):
        return expr.func.value in ("list", "dict", "tuple", "set") and not expr.args
    return False


def is_string(expr: "libcst.BaseExpression") -> bool:
    return isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString))


def source(expr: "libcst.CSTNode") -> str:
    """The node's own code, for messages (one line)."""
    text = cst.Module(body=[]).code_for_node(expr)
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


_UNKNOWN = None


class ListTracker:
    """Mixin: the elements of lists built by name in a scope (`ignored = [...]`, `.append(x)`).

    Flow-insensitive within a scope beyond source order: an `append` in a loop or branch counts as
    an element, and any other binding of the name makes its elements unknown. Names bound by
    `for name, m in x.named_modules():` are remembered as strings while the loop body is visited.
    The rule calls `track_call` from its own `visit_Call`.
    """

    STRING_YIELDING = ("named_modules", "named_children", "named_parameters", "named_buffers")

    def visit_Module(self, node: "libcst.Module") -> None:
        self._lists: list[dict[str, list[libcst.BaseExpression] | None]] = [{}]
        self._string_names: list[str] = []
        # Elements appended while they were a `named_modules()` loop's name variable.
        self._string_elements: set[int] = set()

    def _push(self, node: "libcst.CSTNode") -> None:
        self._lists.append({})

    def _pop(self, node: "libcst.CSTNode") -> None:
        self._lists.pop()

    visit_FunctionDef = _push
    leave_FunctionDef = _pop
    visit_ClassDef = _push
    leave_ClassDef = _pop

    def tracked(self, name: str) -> "list[libcst.BaseExpression] | None":
        """The elements of list `name` in the current scope so far; None if unknown."""
        return self._lists[-1].get(name, _UNKNOWN)

    def is_string_name(self, expr: "libcst.BaseExpression") -> bool:
        if id(expr) in self._string_elements:
            return True
        return isinstance(expr, cst.Name) and expr.value in self._string_names

    def leave_Assign(self, node: "libcst.Assign") -> None:
        for target in node.targets:
            self._bind(target.target, node.value)

    def leave_AnnAssign(self, node: "libcst.AnnAssign") -> None:
        if node.value is not None:
            self._bind(node.target, node.value)

    def leave_AugAssign(self, node: "libcst.AugAssign") -> None:
        if not isinstance(node.target, cst.Name):
            return
        scope = self._lists[-1]
        known = scope.get(node.target.value)
        added = _elements(node.value)
        scope[node.target.value] = None if known is None or added is None else known + added

    def _bind(self, target: "libcst.BaseExpression", value: "libcst.BaseExpression") -> None:
        if isinstance(target, cst.Name):
            self._lists[-1][target.value] = _elements(value)

    def track_call(self, node: "libcst.Call") -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return
        scope = self._lists[-1]
        name = func.value.value
        known = scope.get(name)
        if known is None:
            return
        method = func.attr.value
        args = [a for a in node.args if a.keyword is None]
        if any(a.star for a in node.args):
            scope[name] = None
            return
        for arg in args:
            if isinstance(arg.value, cst.Name) and arg.value.value in self._string_names:
                self._string_elements.add(id(arg.value))
        if method == "append" and len(args) == 1:
            scope[name] = known + [args[0].value]
        elif method == "insert" and len(args) == 2:
            scope[name] = known + [args[1].value]
        elif method == "extend" and len(args) == 1:
            added = _elements(args[0].value)
            scope[name] = None if added is None else known + added
        elif method in ("clear", "pop", "remove"):
            scope[name] = None

    def visit_For(self, node: "libcst.For") -> None:
        self._string_names.append(_first_name_of_named(node, self.STRING_YIELDING) or "")

    def leave_For(self, node: "libcst.For") -> None:
        self._string_names.pop()


def _elements(value: "libcst.BaseExpression") -> "list[libcst.BaseExpression] | None":
    """The elements of a list or tuple literal (`[]`, `list()` too); None for anything else."""
    if isinstance(value, (cst.List, cst.Tuple)):
        if any(isinstance(e, cst.StarredElement) for e in value.elements):
            return None
        return [e.value for e in value.elements]
    if is_empty_container(value) and not isinstance(value, (cst.Dict, cst.Set)):
        return []
    return None


def _first_name_of_named(node: "libcst.For", methods: tuple[str, ...]) -> str | None:
    """`name` in `for name, m in x.named_modules():` (what such a loop binds to a string)."""
    iterable = node.iter
    if not (isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Attribute)):
        return None
    if iterable.func.attr.value not in methods:
        return None
    target = node.target
    if isinstance(target, cst.Tuple) and len(target.elements) == 2:
        first = target.elements[0].value
        if isinstance(first, cst.Name):
            return first.value
    return None


def comprehension_string_name(node: "libcst.BaseExpression", methods: tuple[str, ...]) -> bool:
    """`[n for n, m in x.named_modules() ...]`: a list of module names."""
    if not isinstance(node, (cst.ListComp, cst.GeneratorExp)) or not isinstance(node.elt, cst.Name):
        return False
    comp = node.for_in
    if comp.inner_for_in is not None:
        return False
    fake = cst.For(target=comp.target, iter=comp.iter, body=cst.IndentedBlock(body=[]))
    return _first_name_of_named(fake, methods) == node.elt.value
