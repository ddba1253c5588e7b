from __future__ import annotations

from typing import Iterable

from prunelint.analysis.facts import ModuleFacts
from prunelint.diagnostics import Diagnostic
from prunelint.rules.base import Invalid, ProjectRule
from prunelint.analysis.context import ProjectContext


class UnusedNoqa(ProjectRule):
    """A `# noqa: PRL...` directive silences nothing (ruff's RUF100).

    A directive outlives the finding it was written for: the code was fixed, the rule changed,
    or the line moved. Left in place, it would silence a new finding on that line unseen. A code
    is *unused* when its rule ran and found nothing there, and *non-enabled* when this run does
    not check that rule at all.

    Only prunelint's own codes are judged: `# noqa: E501, PRL001` keeps `E501`, which belongs
    to another linter, and a bare `# noqa` is left alone for the same reason. Opt-in: select
    `PRL800` (or `ALL`) with the rules you run, as ruff's `RUF100` is run with the full
    selection. `--ignore-noqa` turns it off with the directives.

    Fix (safe): remove the directive, or only its unused codes.
    """

    CODE = "PRL800"
    NAME = "unused-noqa"
    DEFAULT_ENABLED = False
    FIXABLE = True
    MESSAGE = "Unused `noqa` directive ({codes})."
    # The engine judges the directives once every other finding is known (`engine.run.finalize`).
    PREFILTER_WORDS = ("noqa",)

    VALID = [
        # A directive for another linter's code is not prunelint's to judge.
        """
import os  # noqa: F401
""",
        # A bare `# noqa` may serve other linters.
        """
x = 1  # noqa
""",
    ]

    INVALID = [
        Invalid(
            """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp)  # noqa: PRL001
""",
            line=3,
            fixed="""
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
        ),
        Invalid(
            """
import os  # noqa: F401, PRL902
""",
            line=2,
            fixed="""
import os  # noqa: F401
""",
        ),
    ]

    def check(self, facts: ModuleFacts, project: ProjectContext, filename: str) -> Iterable[Diagnostic]:
        return ()
