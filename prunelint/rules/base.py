"""The two kinds of rule, in Fixit's shape: docstring says why, then MESSAGE, VALID, INVALID.

- `CstRule` (in `prunelint.rules.cst_rule`, so that start-up need not import libcst): a libcst
  visitor with `visit_*` methods, run in the same pass that collects the shared facts. For what
  one file shows.
- `ProjectRule`: reads the shared facts of every linted file, for what crosses functions and
  modules. It never needs the syntax tree again, so files are parsed once.
"""

from __future__ import annotations

import inspect
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Iterable

from prunelint import DOCS_URL
from prunelint.analysis.facts import ModuleFacts
from prunelint.diagnostics import Diagnostic
from prunelint.ruleinfo import RuleInfo

if TYPE_CHECKING:
    from prunelint.analysis.context import ProjectContext


@dataclass(frozen=True)
class Invalid:
    """An example that must be flagged, on `line` (1-based, counted in `source`)."""

    source: str
    line: int
    code: str = ""  # the rule's own code unless given
    # For a finding with a fix: the source once the fix is applied (with --unsafe-fixes for an
    # unsafe one); tested in place and shown in the rule's docs.
    fixed: str | None = None


class Rule:
    CODE: ClassVar[str]
    NAME: ClassVar[str]
    MESSAGE: ClassVar[str]
    VALID: ClassVar[list[str]] = []
    INVALID: ClassVar[list[Invalid]] = []
    DEFAULT_ENABLED: ClassVar[bool] = True
    FIXABLE: ClassVar[bool] = False
    # Words a file must contain to be worth parsing for this rule; None: every file. A word
    # `a&b` asks for both (a common word made specific by another).
    PREFILTER_WORDS: ClassVar[tuple[str, ...] | None] = None
    BAD_EXAMPLE: ClassVar[str] = ""
    GOOD_EXAMPLE: ClassVar[str] = ""

    @classmethod
    def info(cls) -> RuleInfo:
        doc = inspect.cleandoc(cls.__doc__ or "")
        summary = doc.splitlines()[0] if doc else cls.NAME
        return RuleInfo(
            code=cls.CODE,
            name=cls.NAME,
            summary=summary,
            docs=cls.docs(),
            url=f"{DOCS_URL}#{cls.CODE.lower()}",
            default_enabled=cls.DEFAULT_ENABLED,
            fixable=cls.FIXABLE,
            message=getattr(cls, "MESSAGE", ""),
        )

    @classmethod
    def docs(cls) -> str:
        """Markdown for `prunelint rule CODE` and the README, made from the rule itself."""
        doc = inspect.cleandoc(cls.__doc__ or "")
        summary, _, body = doc.partition("\n")
        status = "on by default" if cls.DEFAULT_ENABLED else "opt-in (select it explicitly)"
        parts = [f"### {cls.CODE} `{cls.NAME}`", "", f"**{summary.strip()}**", ""]
        if body.strip():
            parts += [body.strip(), ""]
        parts += [f"Severity: {status}. Fix: {'available' if cls.FIXABLE else 'none'}.", ""]
        if cls.BAD_EXAMPLE:
            parts += ["Bad:", "", "```python", textwrap.dedent(cls.BAD_EXAMPLE).strip(), "```", ""]
        if cls.GOOD_EXAMPLE:
            parts += ["Good:", "", "```python", textwrap.dedent(cls.GOOD_EXAMPLE).strip(), "```", ""]
        return "\n".join(parts).rstrip() + "\n"


class ProjectRule(Rule):
    """A rule over the facts of the whole linted tree; `check` yields one file's findings."""

    def check(
        self, facts: ModuleFacts, project: "ProjectContext", filename: str
    ) -> Iterable[Diagnostic]:
        raise NotImplementedError
