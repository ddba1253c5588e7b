"""What the outside world (output formats, docs, `prunelint rule`) needs to know of a rule."""

from __future__ import annotations

from typing import Any, NamedTuple


class _Fields(NamedTuple):
    code: str  # e.g. "PRL001"
    name: str  # kebab-case, e.g. "grad-disabled-tracing"
    summary: str  # one line
    docs: Any  # markdown: why, bad and good examples (see RuleInfo.docs)
    url: str
    default_enabled: bool = True
    fixable: bool = False
    message: str = ""  # the message's format, as `ruff rule` lists `message_formats`


class RuleInfo(_Fields):
    """A rule's code, name, summary, docs and flags. `docs` may be given as a function that
    renders them: every run asks for every rule's info (to select rules, to name them in
    findings), and only `prunelint rule`, the docs and the editor's hover read the page."""

    __slots__ = ()

    @property
    def docs(self) -> str:  # type: ignore[override]
        page = self[3]
        return page() if callable(page) else page
