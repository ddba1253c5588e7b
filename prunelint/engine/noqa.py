"""`# noqa` and `# noqa: CODE, CODE` comments, found with the tokenizer so strings never count."""

from __future__ import annotations

import io
import re
import tokenize

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)

ALL = frozenset({"*"})


def _noqa_comments(text: str) -> list[tuple[tokenize.TokenInfo, re.Match[str]]]:
    """Each comment token that holds a noqa directive, with the directive's match."""
    if _NOQA.search(text) is None:
        # Most files with findings have no noqa comment at all, and tokenizing a file costs
        # more than the rest of a cached run's work on it.
        return []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []
    found = []
    for token in tokens:
        if token.type == tokenize.COMMENT:
            match = _NOQA.search(token.string)
            if match is not None:
                found.append((token, match))
    return found


def noqa_lines(text: str) -> dict[int, frozenset[str]]:
    """Map each row holding a noqa comment to the codes it silences (ALL for a bare `# noqa`)."""
    found: dict[int, frozenset[str]] = {}
    for token, match in _noqa_comments(text):
        codes = match.group("codes")
        found[token.start[0]] = ALL if codes is None else frozenset(
            c.upper() for c in _CODE.findall(codes)
        )
    return found


def is_silenced(codes: frozenset[str] | None, code: str) -> bool:
    return codes is not None and (codes is ALL or code in codes)


# -- unused directives (PRL800, ruff's RUF100) ----------------------------------------------------

UNUSED_NOQA_CODE = "PRL800"


def noqa_directives(text: str) -> list[tuple[int, int, int, str, int]]:
    """Each `# noqa: CODES` comment: (row, start column, end column (0-based, of the directive
    within the line), the comment's text, where in it the directive starts). Blanket directives
    are left out: they also serve other linters."""
    found: list[tuple[int, int, int, str, int]] = []
    for token, match in _noqa_comments(text):
        if match.group("codes") is None:
            continue
        row, col = token.start
        found.append((row, col + match.start(), col + match.end(), token.string, match.start()))
    return found


def unused_directives(
    text: str, used: set[tuple[int, str]], known: frozenset[str], enabled: frozenset[str]
) -> list[tuple[int, int, int, list[str], list[str], str | None]]:
    """The directives that silence nothing: (row, start, end (0-based columns), unused codes,
    non-enabled codes, the replacement text for the directive or None to remove the comment).

    Only prunelint's own codes are judged: a directive's other codes (`F401`, `E501`) belong to
    other linters. A code is unused when it is enabled and silenced nothing on its line, and
    non-enabled when this run does not check it."""
    out = []
    lines = text.splitlines()
    for row, start, end, comment, offset in noqa_directives(text):
        match = _NOQA.search(comment)
        assert match is not None
        codes = [c.upper() for c in _CODE.findall(match.group("codes"))]
        unused = [c for c in codes if c in known and c in enabled and (row, c) not in used and c != UNUSED_NOQA_CODE]
        disabled = [c for c in codes if c in known and c not in enabled]
        if not unused and not disabled:
            continue
        keep = [c for c in codes if c not in unused and c not in disabled]
        replacement = f"# noqa: {', '.join(keep)}" if keep else None
        out.append((row, start, end, unused, disabled, replacement))
    return out
