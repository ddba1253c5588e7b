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
    from prunelint.engine import LintOptions


@dataclass(frozen=True)
class _Setup:
    options: "LintOptions | None"
    error: str | None  # a configuration error, reported once per file as PRL000


@lru_cache(maxsize=8)
def _setup(cwd: str) -> _Setup:
    """Settings, rules and API data, loaded once per working folder, not once per file."""
    from prunelint.cli import _api
    from prunelint.config import ConfigError, find_settings
    from prunelint.engine import LintOptions
    from prunelint.plugins import PluginError, load_rules
    from prunelint.selection import Selection, SelectionError, enabled_codes, validate

    try:
        settings = find_settings(cwd)
        rules = load_rules()
        infos = rules.infos()
        selection = Selection(settings.select, settings.extend_select, settings.ignore, origin=settings.config_file or "")
        codes = enabled_codes([selection], infos)
        for pattern, selectors in settings.per_file_ignores:
            validate(selectors, infos, f"`per-file-ignores` ({pattern!r}) of {settings.config_file}")
        options = LintOptions(settings=settings, rules=rules, codes=codes, api=_api(settings), roots=(cwd,))
    except (ConfigError, SelectionError, PluginError) as exc:
        return _Setup(None, f"prunelint configuration: {exc}")
    return _Setup(options, None)


def lint_lines(filename: str, lines: Sequence[str], cwd: str | None = None) -> list["Diagnostic"]:
    """What `prunelint FILE` reports for this file, given its lines."""
    from dataclasses import replace

    from prunelint.engine import finalize, lint_sources
    from prunelint.paths import display_path
    from prunelint.source import Source, file_error

    setup = _setup(cwd or os.getcwd())
    shown = display_path(filename)
    if setup.options is None:
        return [file_error(shown, setup.error or "prunelint configuration error")]
    path = os.path.abspath(filename)
    options = replace(setup.options, named_files=frozenset({path}))
    text = "".join(lines)
    source = Source(shown, path, text)
    return finalize(lint_sources([source], options), options, {shown: text})


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
            message = " ".join(diagnostic.message.split("\n"))
            yield diagnostic.location.row, diagnostic.location.column - 1, f"{diagnostic.code} {message}", type(self)
