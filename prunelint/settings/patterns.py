"""Gitignore-style patterns (excludes, per-file ignores): the ones that are one plain name,
which need no pathspec (its import is about 16 ms of a run, and every default exclude is one)."""

from __future__ import annotations

import re

# One name, with no wildcard, escape, negation, comment or blank around it (`build`, `.venv`,
# `node_modules/`).
_PLAIN_NAME = re.compile(r"[\w.+\-@=,~%]+/?", re.ASCII)


def is_plain_name(pattern: str) -> bool:
    return _PLAIN_NAME.fullmatch(pattern) is not None and bool(pattern.strip("./"))


def plain_names(patterns: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]] | None:
    """(names, folder-only names) when every pattern is a plain name, else None."""
    names, folders = set(), set()
    for pattern in patterns:
        if not is_plain_name(pattern):
            return None
        (folders if pattern.endswith("/") else names).add(pattern.rstrip("/"))
    return frozenset(names), frozenset(folders)


def match_plain_names(path: str, names: frozenset[str], folders: frozenset[str]) -> bool:
    """pathspec's GitIgnoreSpec `match_file` for plain-name patterns: `name` matches a path with
    a part of that name (the files below it too), `name/` one with a folder of that name (a
    part followed by `/`). The path is made relative first, as pathspec does (a leading `/`
    or `./` goes)."""
    if path.startswith("/"):
        path = path[1:]
    elif path.startswith("./"):
        path = path[2:]
    parts = path.split("/")
    last = len(parts) - 1
    for index, part in enumerate(parts):
        if part in names or (index < last and part in folders):
            # pathspec's `(?:.+/)?` prefix needs a character before the `/`: `/name` is no match.
            if index != 1 or parts[0]:
                return True
    return False
