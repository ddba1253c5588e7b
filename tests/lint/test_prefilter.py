"""The prefilter's whole-word test is the regex `\\bword\\b`, found another way (str.find)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from prunelint.engine.prefilter import mentions_word, mentions_words
from prunelint.io.source import Source

# Word characters, others, a non-ASCII letter and digit, and pieces of the words themselves.
PIECES = st.sampled_from(["a", "b", "_", " ", ".", "é", "٣", "1", "\n", "ab", "tp", "tp.", "x", "-"])
WORDS = st.sampled_from(["ab", "tp", "tp.", ".tp", "a_b", "é", "1", "b1", "-", "torch_pruning"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(PIECES, max_size=40).map("".join), WORDS)
def test_a_word_is_found_where_the_regex_finds_it(text: str, word: str) -> None:
    assert mentions_word(text, word) == (re.search(rf"\b{re.escape(word)}\b", text) is not None)


def test_a_word_found_only_after_many_longer_names() -> None:
    # Past the occurrences looked at one by one: the regex takes over from there.
    text = " ".join(f"my_pruner_{i}" for i in range(50)) + " pruner"
    assert mentions_word(text, "pruner")
    assert not mentions_word(text[: -len(" pruner")], "pruner")


def test_plain_words_and_conjunctions() -> None:
    mentions = mentions_words(["torch_pruning", "regularize&pruner"])
    assert mentions(Source("a.py", "/a.py", "import torch_pruning as tp\n"))
    assert not mentions(Source("a.py", "/a.py", "import torch_pruning_extra\n"))
    assert mentions(Source("a.py", "/a.py", "pruner.regularize(model)\n"))
    assert not mentions(Source("a.py", "/a.py", "model.regularize()\n"))
