"""The flake8 plugin: prunelint's findings for each file flake8 checks, from the same engine.

Registered as the `flake8.extension` entry point `PRL`. flake8 hands over the file's lines as it
read them (stdin included) and a tree, which is not used: the engine parses with libcst. The
settings are the CLI's: `[tool.prunelint]` of the nearest pyproject.toml above the working
folder, its selection, per-file ignores and extra decorators and pruner classes. The file is
linted as the CLI lints a file named on its own command line, so a builder imported from a
local module is followed there. flake8 itself is never imported.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Iterator, Sequence

from prunelint import __version__

if TYPE_CHECKING:
    from prunelint.diagnostics import Diagnostic
    from prunelint.engine.options import LintOptions


@dataclass(frozen=True)
class _Setup:
    options: "LintOptions | None"
    error: str | None  # a configuration error, reported once per file as PRL000


@lru_cache(maxsize=8)
def _setup(cwd: str) -> _Setup:
    """Settings, rules and API data, loaded once per working folder, not once per file."""
    from prunelint import api
    from prunelint.plugins.registry import PluginError
    from prunelint.settings.config import ConfigError
    from prunelint.settings.selection import SelectionError

    try:
        options = api.find_options(cwd)
    except (ConfigError, SelectionError, PluginError) as exc:
        return _Setup(None, f"prunelint configuration: {exc}")
    return _Setup(options, None)


def lint_lines(filename: str, lines: Sequence[str], cwd: str | None = None) -> list["Diagnostic"]:
    """What `prunelint FILE` reports for this file, given its lines."""
    from prunelint import api
    from prunelint.io.paths import display_path
    from prunelint.io.source import file_error

    setup = _setup(cwd or os.getcwd())
    shown = display_path(filename)
    if setup.options is None:
        return [file_error(shown, setup.error or "prunelint configuration error")]
    text = "".join(lines)
    return api.check_text(text, shown, setup.options, path=os.path.abspath(filename)).diagnostics


class Plugin:
    """A flake8 tree checker: flake8 fills in `tree`, `filename` and `lines` by name."""

    name = "prunelint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        try:
            diagnostics = lint_lines(self.filename, self.lines)
        except Exception as exc:  # flake8 would print a traceback for the whole run
            yield 1, 0, f"PRL000 prunelint failed on this file: {type(exc).__name__}: {exc}", type(self)
            return
        for diagnostic in diagnostics:
            # flake8 columns are 0-based (it adds 1 when printing); ours are 1-based, as ruff's.
            # flake8 prints one line a finding: the headline, as the CLI's concise format.
            message = " ".join(diagnostic.headline.split("\n"))
            yield diagnostic.location.row, diagnostic.location.column - 1, f"{diagnostic.code} {message}", type(self)
