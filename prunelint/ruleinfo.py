"""What the outside world (output formats, docs, `prunelint rule`) needs to know of a rule."""

from __future__ import annotations

from typing import NamedTuple


class RuleInfo(NamedTuple):
    code: str  # e.g. "PRL001"
    name: str  # kebab-case, e.g. "grad-disabled-tracing"
    summary: str  # one line
    docs: str  # markdown: why, bad and good examples
    url: str
    default_enabled: bool = True
    fixable: bool = False
    message: str = ""  # the message's format, as `ruff rule` lists `message_formats`
