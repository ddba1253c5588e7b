"""A node's code with the parentheses written around it, as messages quote it (libcst's code of
a node held them; `ast`'s positions leave them out)."""

from __future__ import annotations

import ast

import pytest

from prunelint.model.text import SourceText


def written(source: str, pick) -> str:
    text = SourceText(source)
    start, end = text.parenthesized(pick(ast.parse(source)))
    return source[start:end]


def value(tree: ast.Module) -> ast.expr:
    return tree.body[0].value  # type: ignore[attr-defined]


def first_arg(tree: ast.Module) -> ast.expr:
    return value(tree).args[0]


@pytest.mark.parametrize(
    "source, pick, expected",
    [
        ("x = model.fc\n", value, "model.fc"),
        ("x = (model.fc)\n", value, "(model.fc)"),
        ("x = ((model.fc))\n", value, "((model.fc))"),
        ("x = ( # why\n    model.fc\n)\n", value, "( # why\n    model.fc\n)"),
        # A call's own parentheses are the call's, not its argument's.
        ("f(model.fc)\n", first_arg, "model.fc"),
        ("f((model.fc))\n", first_arg, "(model.fc)"),
        ("(f)(model.fc)\n", first_arg, "model.fc"),
        # A tuple's parentheses are the tuple's: a comma follows its first element.
        ("x = (a, b)\n", lambda t: value(t).elts[0], "a"),
        ("x = {(k): v}\n", lambda t: value(t).keys[0], "(k)"),
        # `(model).fc`: the parentheses are the attribute's object's, not the attribute's.
        ("x = (model).fc\n", value, "(model).fc"),
        ("x = (model).fc\n", lambda t: value(t).value, "(model)"),
    ],
)
def test_parenthesized(source: str, pick, expected: str) -> None:
    assert written(source, pick) == expected


def test_a_generator_expression_s_inside() -> None:
    source = "f(x, (m for m in y))\n"
    span = SourceText(source).inside_parentheses(ast.parse(source).body[0].value.args[1])  # type: ignore[attr-defined]
    assert span is not None
    assert source[span.col_offset : span.end_col_offset] == "m for m in y"
