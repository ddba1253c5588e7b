"""`# noqa` and `# noqa: CODE, CODE` comments, found with the tokenizer so strings never count."""

from __future__ import annotations

import io
import re
import tokenize

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)

ALL = frozenset({"*"})


def noqa_lines(text: str) -> dict[int, frozenset[str]]:
    """Map each row holding a noqa comment to the codes it silences (ALL for a bare `# noqa`)."""
    found: dict[int, frozenset[str]] = {}
    if _NOQA.search(text) is None:
        # Most files with findings have no noqa comment at all, and tokenizing a file costs
        # more than the rest of a cached run's work on it.
        return found
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return found
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        match = _NOQA.search(token.string)
        if match is None:
            continue
        codes = match.group("codes")
        found[token.start[0]] = ALL if codes is None else frozenset(
            c.upper() for c in _CODE.findall(codes)
        )
    return found


def is_silenced(codes: frozenset[str] | None, code: str) -> bool:
    return codes is not None and (codes is ALL or code in codes)
