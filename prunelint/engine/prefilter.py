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
    """One prefilter word: a whole word, a conjunction `a&b` (see `mentions_all`), or a name
    reached through a module, `name>module` (see `mentions_imported`)."""
    if IMPORTED in word:
        return mentions_imported(text, word)
    return mentions_all(text, word) if "&" in word else mentions_word(text, word)


def mentions_words(words: Iterable[str]) -> Callable[[Source], bool]:
    """A test for whole-word mentions. A word `a&b` is a conjunction (see
    `Rule.PREFILTER_WORDS`), and `name>module` a name reached through a module."""
    words = set(words)
    plain = sorted(w for w in words if "&" not in w and IMPORTED not in w)
    groups = [w for w in words if "&" in w]
    through = _by_name(w for w in words if IMPORTED in w)

    def test(source: Source) -> bool:
        text = source.text
        if any(mentions_word(text, word) for word in plain):  # its find rules most files out
            return True
        if any(mentions_all(text, group) for group in groups):
            return True
        return any(
            mentions_word(text, name) and any(_imports(text, module) for module in modules)
            for name, modules in through.items()
        )

    return test


def mentioned_among(text: str, words: Iterable[str]) -> frozenset[str]:
    """The words of `words` that the text mentions; each name of the `name>module` words is
    looked for once."""
    words = set(words)
    found = {w for w in words if IMPORTED not in w and mentions(text, w)}
    for name, modules in _by_name(w for w in words if IMPORTED in w).items():
        if mentions_word(text, name):
            found.update(imported_word(name, m) for m in modules if _imports(text, m))
    return frozenset(found)


def _by_name(words: Iterable[str]) -> dict[str, list[str]]:
    through: dict[str, list[str]] = {}
    for word in sorted(words):
        name, _, module = word.partition(IMPORTED)
        through.setdefault(name, []).append(module)
    return through


# `name>module`: the file mentions `name` as a whole word, and `module` where an import
# statement could name it. `module` is "." for an import from a package that names no module
# (`from . import name`, `from .. import name`).
IMPORTED = ">"
RELATIVE_PACKAGE = "."


def imported_word(name: str, module: str) -> str:
    return f"{name}{IMPORTED}{module}"


def mentions_imported(text: str, word: str) -> bool:
    """`name>module` (see IMPORTED). Looser than Python's grammar on purpose, as every prefilter
    test: a mention of `module` counts unless the text between it and the `import` or `from`
    before it holds something no import statement can (`=`, a call, a string)."""
    name, _, module = word.partition(IMPORTED)
    return mentions_word(text, name) and _imports(text, module)


def _imports(text: str, module: str) -> bool:
    if module == RELATIVE_PACKAGE:
        return _RELATIVE_PACKAGE_IMPORT.search(text) is not None
    return imports_module_word(text, module)


# `from . import`, `from ..import`, `from \\\n . import`: a dotted name never follows the dots.
_RELATIVE_PACKAGE_IMPORT = re.compile(r"from[\s\\]*\.+[\s\\]*import")
# What lies between `import` and a name it imports (`import a.b as c, module`,
# `from pkg import (a,  # note\n module`), or between `from` and the module's name
# (`from ..pkg.module`), once comments are left out.
_AFTER_IMPORT = re.compile(r"[\w\s,.()\\]*")
_AFTER_FROM = re.compile(r"[\w\s.\\]*")
_COMMENT = re.compile(r"#[^\n]*")
# How far back an occurrence looks for its `import` or `from`, and how many occurrences are
# looked at: past either, the occurrence counts, so the test stays linear in the text.
_IMPORT_REACH = 4096
_OCCURRENCES_CHECKED = 64


def imports_module_word(text: str, module: str) -> bool:
    """Whether `module` occurs as a whole word where an import statement could name it: after
    `import` (`import pkg.module`, `from pkg import module`) or after `from`
    (`from pkg.module import name`)."""
    start = text.find(module)
    checked = 0
    while start >= 0:
        end = start + len(module)
        if _boundary(text, start) and _boundary(text, end):
            checked += 1
            if checked > _OCCURRENCES_CHECKED or _after_keyword(text, start):
                return True
        start = text.find(module, start + 1)
    return False


def _after_keyword(text: str, index: int) -> bool:
    window = max(0, index - _IMPORT_REACH)
    for keyword, between in (("import", _AFTER_IMPORT), ("from", _AFTER_FROM)):
        found = text.rfind(keyword, window, index)
        if found < 0:
            if window > 0:
                return True  # too far back to tell
            continue
        span = text[found + len(keyword) : index]
        if "#" in span:
            span = _COMMENT.sub("", span)
        if between.fullmatch(span):
            return True
    return False


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
