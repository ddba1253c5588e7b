"""The one library entry: check paths, sources or a text and get a report; fix them in memory,
then write them. The CLI, the flake8 plugin, `--fix` and the editor server all call these, as
Fixit's `api.py` (`fixit_paths`, `fixit_file`, `fixit_bytes`) is the one entry of Fixit.

    options = api.find_options(".")
    report = api.check_paths(["src/"], options)
    for diagnostic in report.diagnostics: ...

A report carries the findings and the texts they refer to, as they were linted, so that what
prints them (`prunelint.output`) never reads a file again.
"""

from __future__ import annotations

import io
import os
import re
import tokenize
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence

from prunelint.diagnostics import Diagnostic
from prunelint.engine.options import LintOptions
from prunelint.engine.run import Texts, finalize, in_cells, lint_files, lint_sources
from prunelint.io.atomic import remove_stale_temporaries
from prunelint.io.discovery import Discovered, Excluder, discover
from prunelint.io.notebook import Notebook, is_notebook, parse_notebook
from prunelint.io.source import Source, decode, file_error, read_source, too_large
from prunelint.plugins.registry import RuleSet, load_rules
from prunelint.settings.apidata import ApiData, load_api_data
from prunelint.settings.config import Settings, echo, find_settings
from prunelint.settings.selection import Selection, enabled_codes, validate

if TYPE_CHECKING:  # the fixer is imported by the runs that fix: a check never loads it
    from prunelint.fix.fixer import FixFailure, FixRun

__all__ = [
    "FixReport",
    "Report",
    "api_data",
    "check_bytes",
    "check_paths",
    "check_sources",
    "check_text",
    "configure",
    "find_options",
    "fix_bytes",
    "fix_paths",
    "fixed_bytes",
    "write_fixes",
]


@dataclass
class Report:
    """Findings in ruff's order, and the texts they were found in (read on demand)."""

    diagnostics: list[Diagnostic]
    # filename -> Python text as linted (a notebook's is its virtual source).
    texts: Mapping[str, str] = field(default_factory=dict)
    # filename -> the Source, for a notebook's cells as the user wrote them.
    sources: Mapping[str, Source] = field(default_factory=dict)

    def lines(self, filename: str) -> list[str] | None:
        """The file's lines as linted, for a code frame; None for a file that was not read."""
        if filename not in self.texts:
            return None
        return split_rows(self.texts[filename])

    def cell_lines(self, filename: str, cell: int) -> list[str] | None:
        source = self.sources.get(filename)
        if source is None or source.cells is None:
            return None
        return source.cells.cell_lines(cell)

    @property
    def findings(self) -> bool:
        return bool(self.diagnostics)


@dataclass
class FixReport(Report):
    """What `--fix` found and changed, in memory until `write_fixes`."""

    run: FixRun = field(default_factory=lambda: _fixer().FixRun([], {}))
    # Notebooks are never rewritten: their fixable findings, by name.
    notebooks: dict[str, int] = field(default_factory=dict)
    unwritten: list[FixFailure] = field(default_factory=list)
    # The findings before any fix, for `--show-fixes`.
    before: list[Diagnostic] = field(default_factory=list)
    # Lints Python sources as `fix_paths` does, for the findings of the files as written.
    relint: Callable[[Sequence[Source]], list[Diagnostic]] | None = field(default=None, repr=False, compare=False)

    @property
    def fixed(self) -> int:
        return self.run.fixed_count

    @property
    def failures(self) -> list[FixFailure]:
        """Fixes that were refused (a fix that would not parse): warnings, not errors."""
        return self.run.failures

    @property
    def fixed_texts(self) -> dict[str, str]:
        return self.run.fixed_texts

    def original(self, filename: str) -> str:
        return self.run.originals[filename].text

    @property
    def fixed_findings(self) -> dict[str, Counter]:
        """filename -> code -> findings fixed: the findings before fixing less those that
        remain, in the files that were fixed (`--show-fixes`)."""
        remaining = Counter((d.filename, d.code) for d in self.diagnostics)
        out: dict[str, Counter] = {}
        for (filename, code), count in Counter((d.filename, d.code) for d in self.before).items():
            gone = count - remaining[(filename, code)]
            if gone > 0 and self.run.fixed.get(filename):
                out.setdefault(filename, Counter())[code] = gone
        return out


# -- options --------------------------------------------------------------------------------------


def api_data(settings: Settings) -> ApiData:
    """The Torch-Pruning API table, extended by the settings' decorators, pruner classes and
    framework hooks."""
    data = load_api_data()
    if settings.grad_disabling_decorators or settings.extend_pruner_classes or settings.framework_hooks:
        data = data.with_extensions(
            grad_disabling_decorators=dict(settings.grad_disabling_decorators),
            pruner_classes=settings.extend_pruner_classes,
            framework_hooks=settings.framework_hooks,
        )
    return data


def configure(
    settings: Settings,
    overrides: Selection | None = None,
    *,
    rules: RuleSet | None = None,
    jobs: int = 1,
    min_work_per_job: int = 0,
    cache: bool = False,
    prefilter: bool = True,
    roots: Sequence[str] | None = None,
    named_files: Iterable[str] = (),
) -> LintOptions:
    """Options for a run: the settings' selection, with `overrides` (the command line's) on top.

    Raises `ConfigError`, `SelectionError` or `PluginError` for a bad configuration."""
    rules = rules or load_rules()
    infos = rules.infos()
    selections = [Selection(settings.select, settings.extend_select, settings.ignore, origin=settings.config_file or "")]
    if overrides is not None:
        selections.append(overrides)
    codes = enabled_codes(selections, infos)
    for pattern, selectors in settings.per_file_ignores:
        validate(selectors, infos, f"`per-file-ignores` ({echo(pattern)}) of {settings.config_file}")
    return LintOptions(
        settings=settings,
        rules=rules,
        codes=codes,
        api=api_data(settings),
        jobs=jobs,
        min_work_per_job=min_work_per_job,
        cache=cache,
        prefilter=prefilter,
        roots=tuple(roots) if roots is not None else (os.getcwd(),),
        named_files=frozenset(os.path.abspath(p) for p in named_files),
    )


def find_options(folder: str | os.PathLike[str] = ".", **kwargs) -> LintOptions:
    """Options from the `[tool.prunelint]` of the nearest pyproject.toml above `folder`, as the
    CLI finds it; the roots are `folder` unless given."""
    kwargs.setdefault("roots", (os.fspath(folder),))
    return configure(find_settings(folder), **kwargs)


# -- checking -------------------------------------------------------------------------------------


def check_paths(paths: Sequence[str], options: LintOptions) -> Report:
    """Files and folders as the CLI takes them: discovered, excluded, read and linted."""
    found = discover(list(paths), options.settings)
    diagnostics, texts = lint_files(found.files, options)
    missing = _path_errors(found, options)
    return Report(sorted(diagnostics + missing, key=Diagnostic.sort_key), texts, _notebooks(texts))


def check_sources(sources: Sequence[Source], options: LintOptions) -> Report:
    """Sources already in memory (an editor's unsaved buffers): linted together, as one tree."""
    sources, oversized = _within_limit(sources, options)
    texts = Texts(sources)
    diagnostics = in_cells(finalize(oversized + lint_sources(sources, options), options, texts), sources)
    return Report(diagnostics, texts, _notebooks(texts))


def check_text(text: str, filename: str, options: LintOptions, path: str | None = None) -> Report:
    """One Python text, linted as the file `filename` named on the command line would be (so
    that a builder imported from a local module is followed there). `path` is where it lives,
    when the displayed name is not that."""
    path = path or os.path.abspath(filename)
    source = Source(filename, path, text)
    return check_sources([source], replace(options, named_files=options.named_files | {path}))


def check_bytes(data: bytes, filename: str | None, options: LintOptions) -> Report:
    """A file's bytes (stdin): decoded as Python decodes a file, or read as a notebook."""
    name = filename or "-"
    if filename and _force_excluded(filename, options):
        return Report([])
    if len(data) > options.settings.max_file_size:
        return Report(finalize([too_large(name, len(data), options.settings.max_file_size)], options, {}))
    options = _named(options, name) if filename else options
    if is_notebook(name):
        loaded = parse_notebook(data, name, os.path.abspath(name))
        if not isinstance(loaded, Notebook):
            return Report(finalize([loaded], options, {}))
        found = lint_sources([loaded.source], options) + list(loaded.cell_errors)
        texts = Texts([loaded.source])
        return Report(in_cells(finalize(found, options, texts), [loaded.source]), texts, _notebooks(texts))
    loaded = decode(data, name, os.path.abspath(name))
    if not isinstance(loaded, Source):
        return Report(finalize([loaded], options, {}))
    return check_sources([loaded], options)


# -- fixing ---------------------------------------------------------------------------------------


def fix_paths(paths: Sequence[str], options: LintOptions, unsafe: bool = False) -> FixReport:
    """Lint and fix until stable, in memory. Notebooks are linted, never fixed."""
    found = discover(list(paths), options.settings)
    notebooks = [f for f in found.files if is_notebook(f)]
    sources: list[Source] = []
    errors: list[Diagnostic] = []
    for filename in found.files:
        if is_notebook(filename):
            continue
        loaded = read_source(filename, filename, options.settings.max_file_size)
        (sources if isinstance(loaded, Source) else errors).append(loaded)

    before: list[Diagnostic] = []

    def lint(current: Sequence[Source]) -> list[Diagnostic]:
        found = finalize(errors + lint_sources(current, options), options, Texts(current))
        if not before:
            before.extend(found)
        return found

    run = _fixer().fix_sources(sources, lint, unsafe)
    in_notebooks, notebook_texts = lint_files(notebooks, options) if notebooks else ([], Texts(()))
    missing = _path_errors(found, options)
    fixable = {}
    infos = options.rules.infos()
    for name in notebooks:
        count = sum(1 for d in in_notebooks if d.filename == name and infos[d.code].fixable)
        if count:
            fixable[name] = count
    texts = {**{name: s.text for name, s in run.originals.items()}, **run.fixed_texts}
    notebook_sources = _notebooks(notebook_texts)
    texts.update({name: s.text for name, s in notebook_sources.items()})
    diagnostics = sorted(run.diagnostics + in_notebooks + missing, key=Diagnostic.sort_key)
    return FixReport(
        diagnostics, texts, notebook_sources, run=run, notebooks=fixable, before=before,
        relint=lambda current: finalize(lint_sources(current, options), options, Texts(current)),
    )


def fix_bytes(data: bytes, filename: str | None, options: LintOptions, unsafe: bool = False) -> FixReport | Report:
    """A file's bytes fixed in memory (stdin). A text that cannot be decoded, or a file that
    --force-exclude leaves out, gives a plain `Report` (nothing to fix)."""
    name = filename or "-"
    if filename and _force_excluded(filename, options):
        return Report([])
    if len(data) > options.settings.max_file_size:
        return Report(finalize([too_large(name, len(data), options.settings.max_file_size)], options, {}))
    loaded = decode(data, name, os.path.abspath(name))
    if not isinstance(loaded, Source):
        return Report(finalize([loaded], options, {}))
    options = _named(options, name) if filename else options

    before: list[Diagnostic] = []

    def lint(current: Sequence[Source]) -> list[Diagnostic]:
        found = finalize(lint_sources(current, options), options, Texts(current))
        if not before:
            before.extend(found)
        return found

    run = _fixer().fix_sources([loaded], lint, unsafe)
    text = run.fixed_texts.get(name, loaded.text)
    return FixReport(run.diagnostics, {name: text}, {}, run=run, before=before)


def fixed_bytes(report: FixReport, filename: str, data: bytes) -> bytes:
    """The fixed text in the encoding of the bytes it came from; the bytes themselves when
    nothing changed (a filter must not alter what it does not fix)."""
    text = report.fixed_texts.get(filename)
    if text is None:
        return data
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return text.encode(encoding, errors="surrogateescape")


def write_fixes(report: FixReport) -> list[FixFailure]:
    """Write every fixed file atomically. A file that cannot be written is reported and counts
    as unfixed."""
    unwritten = []
    folders = {os.path.dirname(os.path.realpath(report.run.originals[name].path)) for name in report.run.fixed_texts}
    for folder in sorted(folders):
        remove_stale_temporaries(folder, _fixer().FIX_SUFFIX)
    for filename, text in list(report.run.fixed_texts.items()):
        failure = _fixer().write_fixed(report.run.originals[filename], text)
        if failure is not None:
            unwritten.append(failure)
            report.run.fixed.pop(filename, None)
    report.unwritten = unwritten
    if unwritten and report.relint is not None:
        _findings_on_disk(report, {failure.filename for failure in unwritten}, report.relint)
    return unwritten


def _findings_on_disk(report: FixReport, unwritten: set[str], relint: Callable[[Sequence[Source]], list[Diagnostic]]) -> None:
    """The findings of the files as they now are on disk: a file that was not written keeps its
    old text, and the files that were are linted beside it (their findings may depend on it)."""
    originals = report.run.originals
    current = []
    for name, source in originals.items():
        if name in unwritten:
            report.run.fixed_texts.pop(name, None)
            # Read again: a file that changed while it was being fixed is reported as it is now.
            loaded = read_source(source.path, source.filename)
            current.append(loaded if isinstance(loaded, Source) else source)
        elif name in report.run.fixed_texts:
            current.append(replace(source, text=report.run.fixed_texts[name]))
        else:
            current.append(source)
    others = [d for d in report.diagnostics if d.filename not in originals]
    report.diagnostics = sorted(others + relint(current), key=Diagnostic.sort_key)
    report.texts = {**report.texts, **{s.filename: s.text for s in current}}


# -- helpers --------------------------------------------------------------------------------------


def _path_errors(found: Discovered, options: LintOptions) -> list[Diagnostic]:
    """PRL000 for each path named that does not exist, and each that could not be read."""
    errors = [file_error(p, "no such file or directory") for p in found.missing]
    errors += [file_error(p, f"cannot read: {reason}") for p, reason in found.unreadable]
    return finalize(errors, options, {})


def _within_limit(sources: Sequence[Source], options: LintOptions) -> tuple[list[Source], list[Diagnostic]]:
    """Texts already in memory (an editor's buffers) are held to `max-file-size` too. A
    character is at least one byte: only a text that may be too large is encoded to tell."""
    limit = options.settings.max_file_size
    kept, oversized = [], []
    for source in sources:
        size = len(source.text)
        if limit // 4 < size <= limit:
            size = len(source.text.encode("utf-8", "surrogatepass"))
        if size > limit:
            oversized.append(too_large(source.filename, size, limit))
        else:
            kept.append(source)
    return kept, oversized


def _named(options: LintOptions, filename: str) -> LintOptions:
    return replace(options, named_files=options.named_files | {os.path.abspath(filename)})


def _force_excluded(filename: str, options: LintOptions) -> bool:
    return options.settings.force_exclude and Excluder(options.settings).force_excluded(Path(filename), False)


def _notebooks(texts: Texts) -> dict[str, Source]:
    return {name: s for name in texts.names() if (s := texts.source(name)) is not None and s.cells is not None}


def _fixer():
    from prunelint.fix import fixer

    return fixer


def split_rows(text: str) -> list[str]:
    """Split as Python counts rows: only \\r\\n, \\r and \\n end a line (not \\f or \\u2028)."""
    lines = _LINE_BREAK.split(text)
    if lines[-1] == "":  # the break that ends the last line starts no new one
        lines.pop()
    return lines


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
