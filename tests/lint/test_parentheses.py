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


# -- lines as the parser counts them -------------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

LINE_PIECES = st.sampled_from(["a", "\n", "bc", "\r", "\r\n", " ", "\u2028", "\x0c", "é", "\n\n"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(LINE_PIECES, max_size=30).map("".join))
def test_lines_break_where_the_parser_breaks_them(source: str) -> None:
    """"\\r\\n", a lone "\\r" or "\\n" end a line, as for CPython's parser; nothing else does
    (`str.splitlines` also breaks at "\\u2028" and form feeds)."""
    text = SourceText(source)
    expected = [line for line in source.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    assert [text.line(row) for row in range(1, len(expected) + 1)] == expected
    assert text.line(len(expected) + 1) == ""
    starts, i = [0], 0
    while i < len(source):
        i += 2 if source[i : i + 2] == "\r\n" else 1
        if source[i - 1] in "\r\n":
            starts.append(i)
    assert [text.offset(row, 0) for row in range(1, len(expected) + 1)] == starts
