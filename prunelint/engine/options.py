"""Everything one run needs besides its files: settings, rules, API data and how to run."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from prunelint.plugins.registry import RuleSet
from prunelint.settings.apidata import ApiData
from prunelint.settings.config import Settings


@dataclass(frozen=True)
class LintOptions:
    settings: Settings
    rules: RuleSet
    codes: frozenset[str]
    api: ApiData
    jobs: int = 1
    prefilter: bool = True  # off only to check that the fast path changes nothing
    roots: tuple[str, ...] = field(default_factory=lambda: (os.getcwd(),))
    # Files named one by one (pre-commit, stdin): the rest of the tree is not in the run, so
    # such a file is parsed when it imports a local module outside the run, and that module
    # is read for context.
    named_files: frozenset[str] = frozenset()
    # `.prunelint_cache` (prunelint/engine/cache.py): the CLI turns it on; the API writes nothing.
    cache: bool = False
    # With more than one job, a round with less to parse than this per job (in characters,
    # see `prunelint.engine.run.work_of`) runs in fewer processes, or in this one: starting
    # workers costs more than parsing a few small files. 0 when -j is explicit.
    min_work_per_job: int = 0
    # `--ignore-noqa`: report what `# noqa` comments would silence.
    ignore_noqa: bool = False
