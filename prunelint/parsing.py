"""libcst's parser without the field checks meant for hand-built nodes.

Every libcst node checks its fields as it is built (`CSTNode.__post_init__` calls `_validate`):
that a `Name` is an identifier, that parentheses pair up, that whitespace is whitespace. Those
checks catch mistakes in trees that code builds by hand. The parser builds nodes only as its
grammar allows, and libcst's own comment on `__post_init__` says the checks are wasted work
while parsing. On dense code they are a tenth of the parse.

The checks are off only while one parse runs, and back on before `parse_module` returns or
raises. The fixer's last check before it writes a file still uses libcst's own, validating
parse. `tests/lint/test_parsing.py` compares the trees with libcst's on every fixture and
module of the repository and on generated programs.
"""

from __future__ import annotations

import libcst as cst
from libcst._nodes.base import CSTNode


def _unchecked(node: CSTNode) -> None:
    pass


def parse_module(text: str) -> cst.Module:
    """`libcst.parse_module(text)`: the same tree and the same errors, built faster."""
    # Swapped for the parse only. A check of which thread is parsing, made in every node's
    # constructor, would cost half of what skipping the checks saves; and prunelint builds no
    # nodes in another thread while it parses.
    checks = CSTNode.__dict__["__post_init__"]
    CSTNode.__post_init__ = _unchecked  # type: ignore[method-assign]
    try:
        return cst.parse_module(text)
    finally:
        CSTNode.__post_init__ = checks  # type: ignore[method-assign]
