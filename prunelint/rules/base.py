"""The kinds of rule, in Fixit's shape: docstring says why, then MESSAGE, VALID, INVALID.

- `NodeRule` (`prunelint.rules.node_rule`): a visitor of CPython's syntax tree with `visit_*`
  methods, run in the one walk of each file that also collects the shared facts. For what one
  file shows.
- `FlowRule` (`prunelint.rules.flow_rule`): a NodeRule that asks the flow of each scope (calls,
  bindings and reads in evaluation order) through `check_scope`.
- `ProjectRule` (here): reads the shared facts of every linted file, for what crosses functions
  and modules. It never needs the syntax tree again, so files are parsed once.
- `CstRule` (`prunelint.rules.cst_rule`): a libcst visitor, for third-party rules written that
  way; only a selected CstRule makes libcst parse a file.

`FileRule` (here) is what the two per-file kinds share: the file, the API facts, the import
names, `report` and `pruner_class`; each answers `qualified_name` for the nodes of its tree.
"""

from __future__ import annotations

import inspect
import textwrap
from typing import ClassVar, Iterable, NamedTuple, TYPE_CHECKING

from prunelint import RULE_URL
from prunelint.analysis.facts import ModuleFacts
from prunelint.diagnostics import Diagnostic
from prunelint.model.report import NodeFix, Report
from prunelint.ruleinfo import RuleInfo

if TYPE_CHECKING:
    from prunelint.analysis.context import ProjectContext
    from prunelint.model.names import ImportNames
    from prunelint.settings.apidata import ApiData


class Invalid(NamedTuple):
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
    # A rule that judges code by the API of the installed Torch-Pruning release (PRL901, PRL902)
    # is not run on a file whose `import torch_pruning` finds an older copy in its own tree
    # (prunelint/io/vendored.py): that copy's names are its current API.
    JUDGES_INSTALLED_API: ClassVar[bool] = False

    @classmethod
    def file_words(cls, api: "ApiData") -> tuple[str, ...] | None:
        """Words of the API data of which a file must mention one, as a whole word, for this
        rule to report anything there (the names it looks for, as they are written): a file
        without them is not walked for this rule. None: no such words. Asked only where the
        prefilter is on, and of an ASCII text (a non-ASCII identifier can be a form that
        Python normalizes to one of them)."""
        return None

    @classmethod
    def url(cls) -> str:
        """The rule's page online; what a finding carries (its `info` renders all the docs)."""
        return RULE_URL.format(code=cls.CODE)

    @classmethod
    def info(cls) -> RuleInfo:
        doc = inspect.cleandoc(cls.__doc__ or "")
        summary = doc.splitlines()[0] if doc else cls.NAME
        return RuleInfo(
            code=cls.CODE,
            name=cls.NAME,
            summary=summary,
            docs=cls.docs,
            url=cls.url(),
            default_enabled=cls.DEFAULT_ENABLED,
            fixable=cls.FIXABLE,
            message=getattr(cls, "MESSAGE", ""),
        )

    @classmethod
    def docs(cls) -> str:
        """The rule's page (`docs/rules/CODE.md`, `prunelint rule CODE`), made from the rule:
        its docstring, then its own INVALID and VALID examples, with the fix beside each
        fixable one."""
        doc = inspect.cleandoc(cls.__doc__ or "")
        summary, _, body = doc.partition("\n")
        status = "on by default" if cls.DEFAULT_ENABLED else "opt-in (select it explicitly)"
        parts = [f"# {cls.CODE} `{cls.NAME}`", "", f"**{summary.strip()}**", ""]
        parts += [f"Severity: {status}. Fix: {'available' if cls.FIXABLE else 'none'}.", ""]
        if body.strip():
            parts += [body.strip(), ""]
        if cls.INVALID:
            parts += ["## Flagged", ""]
            for example in cls.INVALID:
                source = _example(example.source)
                parts += [f"Reported on line {example.line - _lead(example.source)}:", "", "```python", source, "```", ""]
                if example.fixed is not None:
                    parts += ["With the fix applied:", "", "```python", _example(example.fixed), "```", ""]
        if cls.VALID:
            parts += ["## Not flagged", ""]
            for valid in cls.VALID:
                parts += ["```python", _example(valid), "```", ""]
        return "\n".join(parts).rstrip() + "\n"


def _example(source: str) -> str:
    return textwrap.dedent(source).strip("\n")


def _lead(source: str) -> int:
    """Blank lines above an example's first line (its `line` counts them)."""
    text = textwrap.dedent(source)
    return len(text) - len(text.lstrip("\n"))


class FileRule(Rule):
    """What both kinds of per-file rule share, whichever tree they walk (`NodeRule`,
    `CstRule`): the file's name, the API facts, the import names, and `report`."""

    def __init__(self, filename: str, api: "ApiData | None" = None, names: "ImportNames | None" = None) -> None:
        self.filename = filename
        if api is None:
            from prunelint.settings.apidata import load_api_data

            api = load_api_data()
        self.api = api
        self.names = names
        self.reports: list[Report] = []
        self.findings: list[Diagnostic] = []  # filled by the engine from `reports`

    def report(self, node, message: str | None = None, fix: NodeFix | None = None, *, end_node=None) -> None:
        """A finding spanning `node` (through `end_node` if given), with an optional fix."""
        self.reports.append(Report(node, message or self.MESSAGE, fix, end_node))

    def qualified_name(self, expr) -> str | None:
        """`torch_pruning.pruner.BasePruner` for `tp.pruner.BasePruner` after
        `import torch_pruning as tp`; None where the name is not (only) an import."""
        raise NotImplementedError

    def pruner_class(self, call) -> str | None:
        """The canonical Torch-Pruning pruner class a call constructs, if it is one."""
        name = self.qualified_name(call.func)
        return None if name is None else self.api.pruner_classes.get(name)


class ProjectRule(Rule):
    """A rule over the facts of the whole linted tree; `check` yields one file's findings."""

    def check(
        self, facts: ModuleFacts, project: "ProjectContext", filename: str
    ) -> Iterable[Diagnostic]:
        raise NotImplementedError
