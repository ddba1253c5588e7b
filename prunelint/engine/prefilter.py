"""The prefilter's word tests, shared by the engine, the per-file step and the cache."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, Iterable

if TYPE_CHECKING:
    from prunelint.io.source import Source


def mentions_all(text: str, group: str) -> bool:
    """`a&b`: `a` occurs as written and every later part anywhere, case-insensitively
    (`my_Pruner` has `pruner`), so that a rule's name heuristics never see a file that the
    prefilter skipped. Looser than whole words on purpose: a prefilter may only over-select."""
    first, *rest = group.split("&")
    if first not in text:
        return False
    lowered = text.lower()
    return all(part.lower() in lowered for part in rest)


def mentions(text: str, word: str) -> bool:
    """One prefilter word: a whole word, or a conjunction `a&b` (see `mentions_all`)."""
    return mentions_all(text, word) if "&" in word else mentions_word(text, word)


def mentions_words(words: Iterable[str]) -> Callable[[Source], bool]:
    """A test for whole-word mentions. A word `a&b` is a conjunction (see
    `Rule.PREFILTER_WORDS`)."""
    plain = sorted(w for w in words if "&" not in w)
    groups = [w for w in words if "&" in w]

    def test(source: Source) -> bool:
        text = source.text
        if any(mentions_word(text, word) for word in plain):  # its find rules most files out
            return True
        return any(mentions_all(text, group) for group in groups)

    return test


# Occurrences looked at one by one before a regex takes over: a file full of `my_pruner_x`
# would otherwise be walked in Python.
_OCCURRENCES_BY_HAND = 8


def mentions_word(text: str, word: str) -> bool:
    r"""`re.search(rf"\b{re.escape(word)}\b", text) is not None`, found with `str.find`: a
    regex that starts with `\b` tries every position of the text in Python's engine (a whole
    file, where the word only occurs inside longer names), and `find` skips ahead in C."""
    start = text.find(word)
    for _ in range(_OCCURRENCES_BY_HAND):
        if start < 0:
            return False
        if _boundary(text, start) and _boundary(text, start + len(word)):
            return True
        start = text.find(word, start + 1)
    if start < 0:
        return False
    return re.compile(rf"\b{re.escape(word)}\b").search(text, start) is not None


def _boundary(text: str, index: int) -> bool:
    r"""`\b` at `index`: a word character on one side only (`\w` is `isalnum()` or `_` for
    str patterns, as in `re`)."""
    before = index > 0 and _is_word_char(text[index - 1])
    after = index < len(text) and _is_word_char(text[index])
    return before != after


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"
