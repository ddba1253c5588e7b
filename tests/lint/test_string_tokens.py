"""`SourceText.string_tokens`: the literals a string constant is written as. One literal on one
line is told without Python's tokenizer; the answer is the tokenizer's, whatever the code."""

from __future__ import annotations

import ast
import io
import tokenize

from hypothesis import given, settings
from hypothesis import strategies as st

from prunelint.model.text import SourceText

PREFIX = st.sampled_from(["", "r", "R", "u", "b", "rb", "Br", "f"])
QUOTE = st.sampled_from(["'", '"', "'''", '"""'])
BODY = st.lists(st.sampled_from(["a", " ", "\\\\", "\\'", '\\"', "'", '"', "#", "é", "\\n", "{", "}", "x"]), max_size=8).map("".join)
GAP = st.sampled_from(["", " ", "  ", "\\\n", "\n    "])


@st.composite
def literals(draw) -> str:
    """One literal, or an implicit concatenation of a few, as written inside parentheses."""
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        quote = draw(QUOTE)
        parts.append(draw(PREFIX) + quote + draw(BODY) + quote)
    return "".join(part + (draw(GAP) if i + 1 < len(parts) else "") for i, part in enumerate(parts))


def tokenizer_answer(code: str) -> list[str] | None:
    try:
        tokens = tokenize.generate_tokens(io.StringIO(f"({code})").readline)
        return [t.string for t in tokens if t.type == tokenize.STRING]
    except (tokenize.TokenError, SyntaxError):
        return None


@settings(max_examples=4000, deadline=None)
@given(literals())
def test_string_tokens_are_the_tokenizers(code: str) -> None:
    source = f"x = ({code})\n"
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return  # not Python: no constant to ask about
    node = tree.body[0].value  # type: ignore[attr-defined]
    if type(node) is not ast.Constant or type(node.value) is not str:
        return  # bytes, f-strings, or a mix
    text = SourceText(source)
    assert text.string_tokens(node) == tokenizer_answer(text.segment(node))


def test_the_fast_answer_is_given_for_one_literal_and_not_for_two() -> None:
    for code, expected in (('"ab"', ['"ab"']), ("r'a\\'b'", ["r'a\\'b'"]), ('""', ['""']), ('"a" "b"', ['"a"', '"b"']), ('"a""b"', ['"a"', '"b"'])):
        source = f"x = {code}\n"
        node = ast.parse(source).body[0].value  # type: ignore[attr-defined]
        assert SourceText(source).string_tokens(node) == expected
