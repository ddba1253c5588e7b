"""Lint a set of files: read, prefilter, parse (in parallel), analyse the tree, filter, sort.

A file that mentions nothing a rule looks for is never parsed. Which words matter grows as the
analysis learns which functions of the tree build pruners, so parsing goes in rounds until no
unparsed file mentions a new one. The findings are the same as when every file is parsed.

The loop sees the per-file step through one object (`FileStep`: read, test for words, analyse).
With the cache on, `engine.cache.CachedStep` stands in front of it: a lookup, then the work,
then a record; the loop itself never touches the cache.
"""

from __future__ import annotations

import os
import re
from functools import partial
from typing import Callable, Iterable, Sequence

from prunelint.analysis.context import ProjectContext
from prunelint.analysis.facts import Symbol
from prunelint.analysis.project import Lookups, Project, Target, import_name_parts, local_module_file
from prunelint.diagnostics import Diagnostic, Edit, Fix, Position
from prunelint.engine.noqa import UNUSED_NOQA_CODE, is_silenced, noqa_lines, unused_directives
from prunelint.engine.options import LintOptions
from prunelint.engine.prefilter import IMPORTED, RELATIVE_PACKAGE, imported_word, mentions_all, mentions_words
from prunelint.engine.results import FileResult, Step
from prunelint.io.notebook import Notebook, is_notebook, read_notebook, relocate
from prunelint.io.paths import display_path
from prunelint.io.source import FILE_ERROR_CODE, Source, read_source
from prunelint.io.vendored import Copies

MAX_CONTEXT_FILES = 200


class FileStep:
    """Read a file, tell whether it mentions a word, analyse files (in worker processes when
    there are enough of them)."""

    def __init__(self, options: LintOptions) -> None:
        self.options = options
        self.cst_rules = options.rules.cst_rules(options.codes)
        self._copies = Copies()

    def read(self, filename: str) -> "Source | Notebook | Diagnostic":
        return load_source(filename, filename, self.options.settings.max_file_size)

    def mentions(self, words: Iterable[str]):
        return mentions_words(words)

    def analyse(self, sources: list[Source]) -> list[FileResult]:
        return _analyse_all(sources, self.options, self.cst_rules, self._copies)

    def finish(self) -> None:
        """Nothing to end: a round's worker processes exit with the round."""


def open_step(options: LintOptions) -> Step:
    step = FileStep(options)
    if not options.cache:
        return step
    from prunelint.engine.cache import CachedStep

    return CachedStep.open(step, options)


def lint_files(filenames: Sequence[str], options: LintOptions) -> tuple[list[Diagnostic], "Texts"]:
    """The findings of these files, and their texts as linted (read on demand)."""
    sources: list[Source] = []
    diagnostics: list[Diagnostic] = []
    step = open_step(options)
    for filename in filenames:
        loaded = step.read(filename)
        if isinstance(loaded, Notebook):
            diagnostics.extend(loaded.cell_errors)
            loaded = loaded.source
        if isinstance(loaded, Source):
            sources.append(loaded)
        else:
            diagnostics.append(loaded)
    diagnostics.extend(lint_sources(sources, options, step))
    step.finish()
    texts = Texts(sources)
    kept = finalize(diagnostics, options, texts)
    return in_cells(kept, sources), texts


class Texts(dict):
    """filename (or absolute path) -> text, read only for the files asked for (noqa, positions
    and code frames, for files with findings): the cache leaves unchanged files unread."""

    def __init__(self, sources: Iterable[Source], by_path: bool = False) -> None:
        super().__init__()
        self._sources = {os.path.abspath(s.path) if by_path else s.filename: s for s in sources}

    def __contains__(self, filename: object) -> bool:
        return filename in self._sources

    def __missing__(self, filename: str) -> str:
        text = self[filename] = self._sources[filename].text
        return text

    def source(self, filename: str) -> Source | None:
        return self._sources.get(filename)

    def names(self) -> list[str]:
        return list(self._sources)


def load_source(path: str, filename: str, limit: int | None = None) -> "Source | Notebook | Diagnostic":
    """A Python file, or a notebook as one virtual Python source; a file over `limit` bytes
    is not read (a PRL000 finding)."""
    if is_notebook(filename):
        return read_notebook(path, filename, limit)
    return read_source(path, filename, limit)


def in_cells(diagnostics: list[Diagnostic], sources: Iterable[Source]) -> list[Diagnostic]:
    """Findings in notebooks, located on virtual rows until noqa has been read there, move to
    their cells; the order stays ruff's (file, then cell, line, column)."""
    maps = {s.filename: s.cells for s in sources if s.cells is not None}
    if not maps:
        return diagnostics
    moved = [
        relocate([d], maps[d.filename])[0] if d.filename in maps else d for d in diagnostics
    ]
    return sorted(moved, key=Diagnostic.sort_key)


def lint_sources(sources: Sequence[Source], options: LintOptions, step: Step | None = None) -> list[Diagnostic]:
    if step is not None:
        return _lint_sources(sources, options, step)
    own = FileStep(options)
    try:
        return _lint_sources(sources, options, own)
    finally:
        own.finish()


def _lint_sources(sources: Sequence[Source], options: LintOptions, step: Step) -> list[Diagnostic]:
    cst_rules = options.rules.cst_rules(options.codes)
    project_rules = options.rules.project_rules(options.codes)
    parse_all = not options.prefilter or any(rule.PREFILTER_WORDS is None for rule in cst_rules)
    words = set(options.api.prefilter_words)
    for rule in cst_rules:
        words.update(rule.PREFILTER_WORDS or ())
    results: list[FileResult] = []
    pending = list(sources)
    linted = frozenset(os.path.abspath(s.path) for s in sources)
    first = True
    context: ProjectContext | None = None
    context_size = 0
    forced: set[int] = set()  # star re-exporters of analysed modules (by id of their Source)
    scanned = 0  # results whose imports were followed by an earlier round
    lookups = Lookups(options.roots, options.api)  # shared by each round's build of the project
    # A file left pending mentions none of the words it was tested for: a later round tests
    # it for the new words only.
    untested = set(words)
    while pending:
        if parse_all:
            chosen, pending = pending, []
        else:
            through = {word for word in untested if IMPORTED in word}
            mentions = step.mentions(untested - through) if untested - through else None
            # `name>module` words: a file must mention the name first (most do not: one test of
            # the names rules them out), then its module, or import the name from a module
            # outside the run that re-exports it.
            names = {word.partition(IMPORTED)[0] for word in through}
            named = step.mentions(names) if names else None
            imported = step.mentions(through) if through else None
            chosen, rest = [], []
            for source in pending:
                wanted = (
                    id(source) in forced
                    or (mentions is not None and mentions(source))
                    or (first and project_rules and _imports_outside_run(source, linted, options))
                    or (
                        named is not None
                        and named(source)
                        and (imported(source) or _imports_outside_run(source, linted, options, True))
                    )
                )
                (chosen if wanted else rest).append(source)
            chosen, pending = _with_star_neighbours(chosen, rest, results, options, step.mentions({STAR_IMPORT_WORD}))
        first = False
        if not chosen:
            break
        results.extend(step.analyse(chosen))
        if project_rules:
            extra, complete = _imported_context(results, linted, options, step, scanned, lookups)
            results += extra
            scanned = len(results) if complete else 0
        if not project_rules or not pending:
            break
        context, context_size = _context(results, options, lookups), len(results)
        new_words = {
            word
            for word in expansion_words(context, options.roots)
            if word not in words and word.partition(IMPORTED)[0] not in words
        }
        forced = _star_reexporters(pending, results, options, step.mentions({STAR_IMPORT_WORD}))
        forced |= _modules_facts_point_into(pending, results, options)
        if not new_words and not forced:
            break
        words |= new_words
        untested = new_words
    diagnostics = [d for r in results if not r.context_only for d in r.diagnostics]
    if project_rules:
        if context is None or context_size != len(results):  # else its build index is reused
            context = _context(results, options, lookups)
        for result in results:
            if result.facts is None or result.context_only:
                continue
            for rule_class in project_rules:
                diagnostics.extend(rule_class().check(result.facts, context, result.source.filename))
    return diagnostics


_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import|import[ \t]+([\w.]+))", re.MULTILINE)


def _imports_outside_run(source: Source, linted: frozenset[str], options: LintOptions, any_file: bool = False) -> bool:
    """Whether a file named on the command line (any file, with `any_file`) imports one of the
    user's modules that the run does not lint."""
    path = os.path.abspath(source.path)
    if not any_file and path not in options.named_files:
        return False
    for match in _IMPORT.finditer(source.text):
        dots, module, plain = match.groups()
        found = local_module_file(path, module or plain or "", len(dots or ""), options.roots)
        if found is not None and found not in linted:
            return True
    return False


_STAR_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]*\(?[ \t]*\*", re.MULTILINE)


# A prefilter word (a conjunction, see `mentions_all`): the files that may hold a star import.
# Through the step's test, so that the cache answers for unchanged files without reading them.
STAR_IMPORT_WORD = "import *&import"


def _star_reexporters(
    pending: Sequence[Source], results: Sequence[FileResult], options: LintOptions, may_star: Callable[[Source], bool]
) -> set[int]:
    """The unanalysed files that `from M import *` an analysed module (`pkg/all.py` with
    `from .pruner import *`): a name defined there reaches other modules through them, whatever
    words they mention. Found by their text, then by where the module is on disk."""
    analysed = {os.path.abspath(r.source.path) for r in results}
    found = set()
    for source in pending:
        if not may_star(source):
            continue
        path = os.path.abspath(source.path)
        for match in _STAR_IMPORT.finditer(source.text):
            dots, module = match.groups()
            if local_module_file(path, module, len(dots), options.roots) in analysed:
                found.add(id(source))
                break
    return found


def _star_targets(source: Source, options: LintOptions) -> set[str]:
    """The files of the tree that `source` star-imports, by its text."""
    path = os.path.abspath(source.path)
    found = set()
    for match in _STAR_IMPORT.finditer(source.text):
        dots, module = match.groups()
        target = local_module_file(path, module, len(dots), options.roots)
        if target is not None:
            found.add(target)
    return found


def _with_star_neighbours(
    chosen: list[Source],
    rest: list[Source],
    results: Sequence[FileResult],
    options: LintOptions,
    may_star: Callable[[Source], bool],
) -> tuple[list[Source], list[Source]]:
    """`chosen`, with the unchosen files that star imports tie to it, to a fixed point: the
    files that `from M import *` a module analysed or chosen (`pkg/__init__.py` with
    `from .pruner import *`, and the package that star-imports that one), and the modules that a
    chosen file star-imports. Later rounds would pick each of them (`_star_reexporters`,
    `_modules_facts_point_into`), one link of the chain per round, each round a new build of
    the project's facts; found by text, they are parsed in this round."""
    if not chosen or not rest:
        return chosen, rest
    known = {os.path.abspath(r.source.path) for r in results} | {os.path.abspath(s.path) for s in chosen}
    waiting = {os.path.abspath(s.path): s for s in rest}
    targets: dict[str, set[str]] = {}

    def stars(path: str, source: Source) -> set[str]:
        if path not in targets:
            targets[path] = _star_targets(source, options) if may_star(source) else set()
        return targets[path]

    added: list[Source] = []
    frontier = list(chosen)
    while True:
        grown = [path for path, source in waiting.items() if stars(path, source) & known]
        for source in frontier:
            grown.extend(t for t in stars(os.path.abspath(source.path), source) if t in waiting)
        frontier = [waiting.pop(path) for path in dict.fromkeys(grown) if path in waiting]
        if not frontier:
            break
        known.update(os.path.abspath(s.path) for s in frontier)
        added.extend(frontier)
    if not added:
        return chosen, rest
    return chosen + added, [s for s in rest if os.path.abspath(s.path) in waiting]


def _modules_facts_point_into(pending: Sequence[Source], results: Sequence[FileResult], options: LintOptions) -> set[int]:
    """The unanalysed files whose facts the analysed ones need, whatever words they mention:
    the modules they `from M import *` (whether M defines a name decides what it is), and the
    modules defining a function they pass a pruner class to (`make(tp.pruner.X, model)`: the
    callee may call its parameter)."""
    by_path = {os.path.abspath(s.path): s for s in pending}
    found = set()
    for result in results:
        if result.facts is None:
            continue
        path = os.path.abspath(result.source.path)
        modules = [(star.name, star) for star in result.facts.star_imports]
        for call in result.facts.calls:
            callee = call.callee
            if callee.kind in ("relative", "external") and "." in callee.name and any(
                s.kind == "external" and options.api.pruner_class(s.name) for _, s in call.args
            ):
                modules.append((callee.name.rsplit(".", 1)[0], callee))
        for module, symbol in modules:
            target = _symbol_module_file(path, module, symbol, options.roots)
            if target in by_path:
                found.add(id(by_path[target]))
    return found


def _symbol_module_file(path: str, module: str, symbol: Symbol, roots: Sequence[str]) -> str | None:
    """`local_module_file` of a module that a fact of `path` names by `symbol` (absolute, or
    relative with its level)."""
    level = symbol.level if symbol.kind == "relative" else 0
    return local_module_file(path, module, level, roots)


def _imported_context(
    results: list[FileResult],
    linted: frozenset[str],
    options: LintOptions,
    step: Step,
    scanned: int = 0,
    lookups: Lookups | None = None,
) -> tuple[list[FileResult], bool]:
    """Parse the unlinted modules that analysed files import from, transitively, for context.

    Files of the linted set are never added: the prefilter left them out because they cannot
    matter. The walk is bounded so that a huge tree beside a few staged files stays cheap.
    The imports of `results[:scanned]` were followed by an earlier call, whose files are among
    the results: only the others' are looked up (where a module lies on disk does not change
    between rounds). Returns the files added, and whether the bound left none out.
    """
    seen = set(linted) | {os.path.abspath(r.source.path) for r in results}
    extra: list[FileResult] = []
    budget = MAX_CONTEXT_FILES
    fresh = results[scanned:]
    while budget > 0:
        context = _context(results + extra, options, lookups)
        paths = {os.path.abspath(r.facts.path) for r in fresh if r.facts is not None}
        wanted = sorted(context.project.imported_files_on_disk(paths) - seen)[:budget]
        if not wanted:
            return extra, True
        seen.update(wanted)
        budget -= len(wanted)
        limit = options.settings.max_file_size
        loaded = [s for p in wanted if isinstance(s := read_source(p, display_path(p), limit), Source)]
        added = step.analyse(loaded)
        for result in added:
            result.context_only = True
        extra += added
        fresh = added
    return extra, False  # the bound was reached: files may have been left out


def _context(results: Iterable[FileResult], options: LintOptions, lookups: Lookups | None = None) -> ProjectContext:
    facts = [r.facts for r in results if r.facts is not None]
    texts = Texts((r.source for r in results), by_path=True)
    cells = {os.path.abspath(r.source.path): r.source.cells for r in results if r.source.cells is not None}
    return ProjectContext(Project(facts, options.roots, options.api, lookups), texts, cells)




# What analysing a file costs, in characters of text: its length, and a fixed part (reading
# its facts, the visitors' set-up) that 16 files of a few lines show to be about 1,500.
FILE_WORK = 1500
# Forking the workers and taking their results back costs about what analysing 13,000
# characters does (16 files of a few lines: 173 ms a run with -j1, 181 ms with -j2, on 2 cores;
# the analysis runs at about 0.6 us a character). Each job is given at least this much, so that
# a round splits only where the split saves more than it costs.
MIN_WORK_PER_JOB = 16_000


def work_of(source: Source) -> int:
    return len(source.text) + FILE_WORK


# Analysing a file peaks at a few hundred times its size (libcst's tree: about 460x at 2 MB and
# 550x at 20 MB). Files this large are analysed one at a time, in this process, once the
# workers have exited: a run's peak is then that of its largest file whatever `-j` is, not the
# sum of `-j` of them (two 20 MB files at once would take 23 GB).
LARGE_TEXT = 1 << 20


def _analyse_all(
    sources: list[Source], options: LintOptions, cst_rules: tuple, copies: Copies | None = None
) -> list[FileResult]:
    if not sources:
        return []
    # Imported here: a run that parses nothing never pays for the analysis.
    from prunelint.engine.step import analyse

    work = partial(
        analyse, api=options.api, cst_rules=cst_rules, roots=options.roots, prefilter=options.prefilter, copies=copies
    )
    large = [i for i, source in enumerate(sources) if len(source.text) > LARGE_TEXT]
    shared = [i for i, source in enumerate(sources) if len(source.text) <= LARGE_TEXT]
    jobs = min(options.jobs, len(shared))
    if options.min_work_per_job:
        jobs = min(jobs, sum(work_of(sources[i]) for i in shared) // options.min_work_per_job)
    if jobs <= 1:
        return [work(source) for source in sources]
    from prunelint.engine.workers import map_in_processes

    # Largest files first, handed out one at a time: no process is left with a long file at
    # the end while the others wait.
    order = sorted(shared, key=lambda i: -len(sources[i].text))
    done = map_in_processes(partial(_without_source, work), [sources[i] for i in order], jobs)
    results: list[FileResult] = [None] * len(sources)  # type: ignore[list-item]
    for index, result in zip(order, done):
        result.source = sources[index]
        results[index] = result
    for index in large:  # once the children are gone (see LARGE_TEXT)
        results[index] = work(sources[index])
    return results


def _without_source(work: Callable[[Source], FileResult], source: Source) -> FileResult:
    """A result sent back from a worker without its source: this process has the text
    already, and a copy of every text would travel and then be held twice."""
    result = work(source)
    result.source = None  # type: ignore[assignment]  # put back by the caller
    return result


def expansion_words(context: ProjectContext, roots: Sequence[str]) -> set[str]:
    """Prefilter words for the names through which an unparsed file could reach a construction
    of the parsed ones.

    A module-level name (a function, a class, a name a module exports) is reached only through
    an import that names its module, a package above it, or a module that star-imports it:
    `name>module` for each (see `prefilter.IMPORTED`). A module that re-exports the name by
    name (`from .builders import build`) mentions both, so it is parsed in the next round, and
    its own exports give the words for its importers. A method can be reached through any
    instance: the bare name."""
    project = context.project
    builders = context.build_index.index.builders()
    through: dict[str, set[str]] = {}  # name -> the modules it is reached through; "" for any

    def add(name: str, path: str) -> None:
        through.setdefault(name, set()).add(path)

    for path, qualname in builders:
        parts = qualname.split(".")
        if len(parts) == 1 or (len(parts) == 2 and parts[1] == "__init__"):
            add(parts[0], path)
        else:
            add(parts[-2] if parts[-1] == "__init__" else parts[-1], "")
    for path, facts in project.facts.items():
        for qualname in facts.classes:
            if not project.class_kind(Target("class", path, qualname)):
                continue
            if "." in qualname:  # a nested class: reached through its outer class's attribute
                add(qualname.rsplit(".", 1)[-1], "")
            else:
                add(qualname, path)
        for name, symbol in facts.exports.items():
            target = project.resolve(path, symbol)
            if target is None:
                continue
            callee = project.callee_function(target, "")
            if project.traces(target, "") or (callee is not None and callee in builders):
                add(name, path)
    module_words = _ModuleWords(project, roots)
    words: set[str] = set()
    for name, paths in through.items():
        if "" in paths:
            words.add(name)
            continue
        for path in paths:
            words.update(imported_word(name, module) for module in module_words.of(path))
    return words


class _ModuleWords:
    """The words an import of a module can be written with: its name, the packages above it
    (`import pkg` then `pkg.module.name`), `.` for a package (`from . import name`), and the
    same for each analysed module that star-imports it, transitively."""

    def __init__(self, project: Project, roots: Sequence[str]) -> None:
        self.star_importers: dict[str, set[str]] = {}
        for path, facts in project.facts.items():
            for star in facts.star_imports:
                target = _symbol_module_file(path, star.name, star, roots)
                if target is not None:
                    self.star_importers.setdefault(os.path.abspath(target), set()).add(path)
        self._own: dict[str, set[str]] = {}
        self.roots = roots

    def of(self, path: str) -> set[str]:
        words: set[str] = set()
        seen = {path}
        queue = [path]
        while queue:
            module = queue.pop()
            words |= self._own_words(module)
            for importer in self.star_importers.get(module, ()):
                if importer not in seen:
                    seen.add(importer)
                    queue.append(importer)
        return words

    def _own_words(self, path: str) -> set[str]:
        found = self._own.get(path)
        if found is None:
            found = import_name_parts(path, self.roots)
            if os.path.basename(path).startswith("__init__."):
                found.add(RELATIVE_PACKAGE)
            self._own[path] = found
        return found


def finalize(
    diagnostics: Iterable[Diagnostic], options: LintOptions, texts: dict[str, str]
) -> list[Diagnostic]:
    """Selection, per-file ignores and noqa, then ruff's order: file, line, column."""
    if options.settings.per_file_ignores:
        import pathspec  # only here: most runs have no per-file ignores (see io.discovery._spec)
    ignores = [
        (pathspec.GitIgnoreSpec.from_lines([pattern]), codes)
        for pattern, codes in options.settings.per_file_ignores
    ]
    root = os.path.realpath(options.settings.root)
    relative: dict[str, str] = {}

    def config_relative(filename: str) -> str:
        # Patterns are relative to the folder of the config file, not to the working folder;
        # a file outside that folder is matched by its name only.
        if filename not in relative:
            absolute = os.path.realpath(filename)
            try:
                rel = os.path.relpath(absolute, root)
            except ValueError:  # another drive
                rel = os.pardir
            if rel == os.pardir or rel.startswith(os.pardir + os.sep):
                rel = os.path.basename(absolute)
            relative[filename] = rel.replace(os.sep, "/")
        return relative[filename]

    noqa_cache: dict[str, dict[int, frozenset[str]]] = {}
    # (row, code) silenced by a `# noqa: CODE`, by file: what PRL800 (unused noqa) needs.
    used: dict[str, set[tuple[int, str]]] = {}

    def keep(found: Iterable[Diagnostic]) -> list[Diagnostic]:
        kept: list[Diagnostic] = []
        for diagnostic in found:
            if diagnostic.code not in options.codes:
                continue
            if ignores and any(
                _matches(diagnostic.code, codes) and spec.match_file(config_relative(diagnostic.filename))
                for spec, codes in ignores
            ):
                continue
            if diagnostic.code != FILE_ERROR_CODE and diagnostic.filename in texts and not options.ignore_noqa:
                if diagnostic.filename not in noqa_cache:
                    noqa_cache[diagnostic.filename] = noqa_lines(texts[diagnostic.filename])
                silencing = noqa_cache[diagnostic.filename].get(diagnostic.location.row)
                if is_silenced(silencing, diagnostic.code):
                    used.setdefault(diagnostic.filename, set()).add((diagnostic.location.row, diagnostic.code))
                    continue
            kept.append(diagnostic)
        return kept

    kept = keep(diagnostics)
    if UNUSED_NOQA_CODE in options.codes and not options.ignore_noqa:
        kept += keep(_unused_noqa(texts, used, options))
    return sorted(kept, key=Diagnostic.sort_key)


def _unused_noqa(texts: dict[str, str], used: dict[str, set[tuple[int, str]]], options: LintOptions) -> list[Diagnostic]:
    """PRL800: `# noqa: PRL...` directives that silenced nothing, with a fix that drops them."""
    known = frozenset(options.rules.infos())
    names = texts.names() if isinstance(texts, Texts) else list(texts)
    found = []
    for filename in names:
        text = texts[filename]
        lines = text.splitlines()
        for row, start, end, unused, disabled, replacement in unused_directives(text, used.get(filename, set()), known, options.codes):
            parts = []
            if unused:
                parts.append("unused: " + ", ".join(f"`{c}`" for c in unused))
            if disabled:
                parts.append("non-enabled: " + ", ".join(f"`{c}`" for c in disabled))
            line = lines[row - 1] if row <= len(lines) else ""
            if replacement is None:
                # Drop the directive, and the blanks before it when nothing follows.
                first = start
                if not line[end:].strip():
                    while first > 0 and line[first - 1] in " \t":
                        first -= 1
                edit = Edit("", Position(row, first + 1), Position(row, end + 1))
                title = "Remove unused `noqa` directive"
            else:
                edit = Edit(replacement, Position(row, start + 1), Position(row, end + 1))
                title = "Remove unused codes from the `noqa` directive"
            found.append(
                Diagnostic(
                    UNUSED_NOQA_CODE,
                    f"Unused `noqa` directive ({'; '.join(parts)}).",
                    filename,
                    Position(row, start + 1),
                    Position(row, end + 1),
                    Fix(title, (edit,)),
                )
            )
    return found


def _matches(code: str, selectors: Sequence[str]) -> bool:
    return any(s.upper() == "ALL" or code.startswith(s.upper()) for s in selectors)
