"""What a pruner construction's arguments say, for the construction-site rules (PRL101-PRL107).

Only what the call itself spells out is read: a keyword, or a positional argument named through
the signature in the API data. A `*args` or `**kwargs` makes the rest unknown, and literal values
are told apart from everything else, so that the rules can stay silent where the call is unclear.
"""

from __future__ import annotations

import ast
from typing import Any, Mapping, NamedTuple, TYPE_CHECKING

if TYPE_CHECKING:
    from prunelint.settings.apidata import ApiData

# A literal that is not a number, a bool or None.
NOT_LITERAL = object()


class Arguments(NamedTuple):
    """A pruner call's arguments by parameter name, as far as the call shows them."""

    cls: str
    values: Mapping[str, ast.expr]
    positional: tuple[ast.expr, ...]
    # A `*args` or `**kwargs` (or positional arguments the signature does not name) may bind any
    # parameter that is not in `values`.
    open: bool

    def get(self, *names: str) -> ast.expr | None:
        for name in names:
            if name in self.values:
                return self.values[name]
        return None

    def absent(self, *names: str) -> bool:
        """True only where the call surely passes none of `names`."""
        return not self.open and all(name not in self.values for name in names)


def arguments(call: ast.Call, cls: str, api: "ApiData") -> Arguments:
    signature: list[str] = list(api.table("pruner_signatures").get(cls, ()))
    values: dict[str, ast.expr] = {}
    positional: list[ast.expr] = []
    is_open = False
    # In the order written: a keyword before a positional argument binds first (`setdefault`).
    for arg in _in_order(call):
        if type(arg) is ast.keyword:
            if arg.arg is None:
                is_open = True
            else:
                values[arg.arg] = arg.value
        elif type(arg) is ast.Starred:
            is_open = True
        else:
            positional.append(arg)
            index = len(positional) - 1
            if index < len(signature):
                values.setdefault(signature[index], arg)
            else:
                is_open = True
    return Arguments(cls, values, tuple(positional), is_open)


def _in_order(call: ast.Call) -> list[ast.AST]:
    if not call.keywords or not call.args:
        return [*call.args, *call.keywords]
    return sorted([*call.args, *call.keywords], key=lambda a: (a.lineno, a.col_offset))


def keyword_argument(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def has_star(call: ast.Call) -> bool:
    """A `*args` or `**kwargs` in the call."""
    return any(type(a) is ast.Starred for a in call.args) or any(k.arg is None for k in call.keywords)


def literal(expr: ast.AST) -> Any:
    """The value of a number, bool or None literal (`-0.5` too); NOT_LITERAL for anything else."""
    sign = 1
    if type(expr) is ast.UnaryOp and type(expr.op) in (ast.USub, ast.UAdd):
        sign = -1 if type(expr.op) is ast.USub else 1
        expr = expr.operand
        if not (type(expr) is ast.Constant and type(expr.value) in (int, float)):
            return NOT_LITERAL
    if type(expr) is ast.Constant:
        value = expr.value
        if type(value) in (int, float):
            return sign * value
        if value is None or type(value) is bool:
            return value
    return NOT_LITERAL


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_empty_container(expr: ast.AST) -> bool:
    """`[]`, `()`, `{}`, `list()`, `dict()`, `tuple()`, `set()`."""
    if type(expr) in (ast.List, ast.Tuple, ast.Set):
        return not expr.elts  # type: ignore[attr-defined]
    if type(expr) is ast.Dict:
        return not expr.keys
    if type(expr) is ast.Call and type(expr.func) is ast.Name:
        return expr.func.id in ("list", "dict", "tuple", "set") and not expr.args and not expr.keywords
    return False


def is_string(expr: ast.AST) -> bool:
    return (type(expr) is ast.Constant and type(expr.value) in (str, bytes)) or type(expr) is ast.JoinedStr


def elements(value: ast.AST) -> list[ast.expr] | None:
    """The elements of a list or tuple literal (`[]`, `list()` too); None for anything else."""
    if type(value) in (ast.List, ast.Tuple):
        if any(type(e) is ast.Starred for e in value.elts):  # type: ignore[attr-defined]
            return None
        return list(value.elts)  # type: ignore[attr-defined]
    if is_empty_container(value) and type(value) not in (ast.Dict, ast.Set):
        return []
    return None


def first_name_of_named(target: ast.AST, iterable: ast.AST, methods: tuple[str, ...]) -> str | None:
    """`name` in `for name, m in x.named_modules():` (what such a loop binds to a string)."""
    if not (type(iterable) is ast.Call and type(iterable.func) is ast.Attribute):
        return None
    if iterable.func.attr not in methods:
        return None
    if type(target) is ast.Tuple and len(target.elts) == 2 and type(target.elts[0]) is ast.Name:
        return target.elts[0].id
    return None


def comprehension_string_name(node: ast.AST, methods: tuple[str, ...]) -> bool:
    """`[n for n, m in x.named_modules() ...]`: a list of module names."""
    if type(node) not in (ast.ListComp, ast.GeneratorExp) or type(node.elt) is not ast.Name:  # type: ignore[attr-defined]
        return False
    if len(node.generators) != 1:  # type: ignore[attr-defined]
        return False
    comp = node.generators[0]  # type: ignore[attr-defined]
    return first_name_of_named(comp.target, comp.iter, methods) == node.elt.id  # type: ignore[attr-defined]
