"""The prefilter's word tests, shared by the engine, the per-file step and the cache."""

from __future__ import annotations

import functools
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


def mentions_words(words: Iterable[str]) -> Callable[[Source], bool]:
    """A test for whole-word mentions. A plain substring search rules out most files first,
    because a regex that starts with `\b` scans every character in Python's engine. A word
    `a&b` is a conjunction (see `Rule.PREFILTER_WORDS`)."""
    plain = sorted(w for w in words if "&" not in w)
    groups = [w for w in words if "&" in w]
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, plain)) + r")\b") if plain else None

    def mentions(source: Source) -> bool:
        text = source.text
        if pattern is not None and any(word in text for word in plain) and pattern.search(text):
            return True
        return any(mentions_all(text, group) for group in groups)

    return mentions


@functools.cache
def rule_mentions(words: tuple[str, ...]) -> Callable[[Source], bool]:
    """`mentions_words` for one rule's PREFILTER_WORDS, made once per run of a worker."""
    return mentions_words(words)
