"""`prunelint [check] PATHS` and `prunelint rule CODE`, with ruff's options and exit codes.

Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Sequence, TextIO

from prunelint import __version__
from prunelint.apidata import load_api_data
from prunelint.config import OUTPUT_FORMATS, ConfigError, Settings, find_settings, load_config_file
from prunelint.diagnostics import Diagnostic
from prunelint.engine import LintOptions, finalize, in_cells, lint_files, lint_sources
from prunelint.files import Excluder, discover
from prunelint.notebook import Notebook, cell_lines, is_notebook, parse_notebook
from prunelint.plugins import PluginError, RuleSet, load_rules
from prunelint.selection import Selection, SelectionError, enabled_codes, validate
from prunelint.source import Source, decode, file_error, read_source

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
MIN_FILES_PER_JOB = 8


class UsageError(Exception):
    pass


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class _Extend(argparse.Action):
    """`--select A,B --select C` gives [A, B, C]."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[override]
        current = list(getattr(namespace, self.dest) or [])
        current.extend(_csv(values))
        setattr(namespace, self.dest, current)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="prunelint",
        description="Lint Torch-Pruning code for pitfalls that fail late or silently.",
        epilog="Use `prunelint rule CODE` to read a rule's documentation.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to lint (default: .); `-` reads stdin")
    parser.add_argument("--version", action="version", version=f"prunelint {__version__}")
    sel = parser.add_argument_group("rule selection")
    sel.add_argument("--select", action=_Extend, metavar="CODES", help="comma-separated codes or prefixes to enable (ALL for every rule)")
    sel.add_argument("--extend-select", action=_Extend, metavar="CODES", help="codes or prefixes to enable on top of the selection")
    sel.add_argument("--ignore", action=_Extend, metavar="CODES", help="codes or prefixes to disable")
    files = parser.add_argument_group("file selection")
    files.add_argument("--exclude", action=_Extend, metavar="PATTERNS", help="replace the default excludes (gitignore-style patterns)")
    files.add_argument("--extend-exclude", action=_Extend, metavar="PATTERNS", help="patterns to exclude on top of the defaults")
    files.add_argument("--respect-gitignore", dest="respect_gitignore", action="store_true", default=None, help="skip what .gitignore files exclude (the default)")
    files.add_argument("--no-respect-gitignore", dest="respect_gitignore", action="store_false", help="also lint what .gitignore files exclude")
    files.add_argument("--force-exclude", dest="force_exclude", action="store_true", default=None, help="apply excludes to paths named on the command line too (for pre-commit)")
    files.add_argument("--stdin-filename", metavar="PATH", help="the name of the file read from stdin")
    cfg = parser.add_argument_group("configuration")
    cfg.add_argument("--config", metavar="FILE", help="a pyproject.toml or prunelint.toml to use instead of the nearest pyproject.toml")
    cfg.add_argument("--isolated", action="store_true", help="ignore all configuration files")
    out = parser.add_argument_group("output")
    out.add_argument("--output-format", choices=OUTPUT_FORMATS, help="concise (default), full, json, github or sarif")
    out.add_argument("--statistics", action="store_true", help="count findings per rule instead of listing them")
    out.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    out.add_argument("-q", "--quiet", action="store_true", help="print findings only, no summary")
    fixes = parser.add_argument_group("fixes")
    fixes.add_argument("--fix", dest="fix", action="store_true", default=False, help="apply the safe fixes and rewrite the files (never notebooks)")
    fixes.add_argument("--no-fix", dest="fix", action="store_false", help="report only (the default)")
    fixes.add_argument("--unsafe-fixes", dest="unsafe_fixes", action="store_true", default=False, help="also apply (with --fix) or offer the unsafe fixes")
    fixes.add_argument("--no-unsafe-fixes", dest="unsafe_fixes", action="store_false", help="never apply or offer the unsafe fixes (the default)")
    fixes.add_argument("--diff", action="store_true", help="print a diff of what the fixes would change, and write nothing; exit 1 if something would change")
    run = parser.add_argument_group("execution")
    run.add_argument("-j", "--jobs", type=int, default=None, metavar="N", help="parallel processes (0: one per CPU; default: one per CPU when many files need parsing, else 1)")
    run.add_argument("--no-cache", dest="cache", action="store_false", default=None, help="neither read nor write the .prunelint_cache")
    # For the benchmark's check that the prefilter changes no finding: parse every file.
    run.add_argument("--no-prefilter", dest="prefilter", action="store_false", help=argparse.SUPPRESS)
    return parser


def build_rule_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="prunelint rule", description="Print a rule's documentation.")
    parser.add_argument("code", nargs="?", help="the rule's code, e.g. PRL001")
    parser.add_argument("--all", action="store_true", help="print every rule's documentation")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    if args.isolated:
        settings = Settings(root=os.getcwd())
    elif args.config:
        settings = load_config_file(args.config)
    else:
        settings = find_settings(os.getcwd())
    # The rule selection stays as configured: the command line is a second layer over it
    # (see `_selection`), as in ruff.
    return settings.with_overrides(
        exclude=tuple(args.exclude) if args.exclude is not None else None,
        extend_exclude=settings.extend_exclude + tuple(args.extend_exclude or ()),
        respect_gitignore=args.respect_gitignore,
        force_exclude=args.force_exclude,
        output_format=args.output_format,
    )


def _selection(settings: Settings, args: argparse.Namespace) -> list[Selection]:
    """The configuration's selection, then the command line's on top."""
    return [
        Selection(settings.select, settings.extend_select, settings.ignore, origin=settings.config_file or ""),
        Selection(
            tuple(args.select) if args.select is not None else None,
            tuple(args.extend_select or ()),
            tuple(args.ignore or ()),
        ),
    ]


def _api(settings: Settings):
    api = load_api_data()
    if settings.grad_disabling_decorators or settings.extend_pruner_classes:
        api = api.with_extensions(
            grad_disabling_decorators=dict(settings.grad_disabling_decorators),
            pruner_classes=settings.extend_pruner_classes,
        )
    return api


def run_check(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    args = build_parser().parse_args(list(argv))
    if args.jobs is not None and args.jobs < 0:
        raise UsageError("--jobs must be 0 (one per CPU) or more")
    settings = _settings(args)
    rules = load_rules()
    infos = rules.infos()
    codes = enabled_codes(_selection(settings, args), infos)
    for pattern, selectors in settings.per_file_ignores:
        validate(selectors, infos, f"`per-file-ignores` ({pattern!r}) of {settings.config_file}")
    options = LintOptions(
        settings=settings,
        rules=rules,
        codes=codes,
        api=_api(settings),
        jobs=args.jobs or (os.cpu_count() or 1),
        # Like ruff, every CPU by default, but a process pool only pays off beyond a few files.
        min_files_per_job=MIN_FILES_PER_JOB if args.jobs is None else 1,
        cache=settings.cache if args.cache is None else args.cache,
        prefilter=args.prefilter,
        roots=(os.getcwd(),),
    )
    paths = args.paths or ["."]
    # Files named one by one (as pre-commit does) may call into modules left out of the run.
    named = {os.path.abspath(p) for p in paths if p != "-" and os.path.isfile(p)}
    if "-" in paths and args.stdin_filename:
        named.add(os.path.abspath(args.stdin_filename))
    options = replace(options, named_files=frozenset(named))
    if args.fix or args.diff:
        return _check_fixing(paths, options, rules, args, stdout, stderr)
    if "-" in paths:
        if len(paths) > 1:
            raise UsageError("`-` (stdin) cannot be combined with other paths")
        diagnostics, texts = _lint_stdin(args.stdin_filename, options)
    else:
        found = discover(paths, settings)
        diagnostics = lint_files(found.files, options)
        missing = [file_error(p, "no such file or directory") for p in found.missing]
        diagnostics = sorted(diagnostics + finalize(missing, options, {}), key=Diagnostic.sort_key)
        texts = {}
    _report(diagnostics, settings.output_format, rules, args, stdout, texts)
    if diagnostics and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _is_notebook_name(filename: str) -> bool:
    return filename.lower().endswith(".ipynb")


def _check_fixing(
    paths: list[str],
    options: LintOptions,
    rules: RuleSet,
    args: argparse.Namespace,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """`--fix`, `--unsafe-fixes` and `--diff`: fix in memory (prunelint.fixer), then write or diff."""
    from prunelint.fixer import fix_files, unified_diff, write_all

    if "-" in paths:
        if len(paths) > 1:
            raise UsageError("`-` (stdin) cannot be combined with other paths")
        return _fix_stdin(options, rules, args, stdout, stderr)
    found = discover(paths, options.settings)
    notebooks = [f for f in found.files if _is_notebook_name(f)]
    run = fix_files([f for f in found.files if not _is_notebook_name(f)], options, args.unsafe_fixes)
    in_notebooks = lint_files(notebooks, options) if notebooks else []
    missing = finalize([file_error(p, "no such file or directory") for p in found.missing], options, {})
    infos = rules.infos()
    for name in notebooks:
        fixable = sum(1 for d in in_notebooks if d.filename == name and infos[d.code].fixable)
        if fixable:
            stderr.write(f"warning: {name}: not fixed: `--fix` never rewrites notebooks ({fixable} fixable {'finding' if fixable == 1 else 'findings'} left)\n")
    for failure in run.failures:
        stderr.write(f"warning: {failure.describe()}\n")
    if args.diff:
        for filename in sorted(run.fixed_texts):
            stdout.write(unified_diff(filename, run.originals[filename].text, run.fixed_texts[filename]))
        stderr.write(_would_fix(run.fixed_count, run.diagnostics, args))
        return EXIT_FINDINGS if run.fixed_texts else EXIT_CLEAN
    unwritten = write_all(run)
    for failure in unwritten:
        stderr.write(f"error: {failure.describe()}\n")
    diagnostics = sorted(run.diagnostics + in_notebooks + missing, key=Diagnostic.sort_key)
    _report(diagnostics, options.settings.output_format, rules, args, stdout, {}, fixed=run.fixed_count)
    if unwritten:
        return EXIT_FINDINGS
    return EXIT_FINDINGS if diagnostics and not args.exit_zero else EXIT_CLEAN


def _would_fix(count: int, remaining: list[Diagnostic], args: argparse.Namespace) -> str:
    """ruff's last line under --diff."""
    from prunelint.fixer import applicable

    hidden = 0 if args.unsafe_fixes else sum(
        1 for d in remaining if applicable(d, True) and d.fix.applicability == "unsafe"
    )
    extra = ""
    if hidden:
        extra = f" ({hidden} {'additional ' if count else ''}fix{'' if hidden == 1 else 'es'} available with `--unsafe-fixes`)"
    if count:
        return f"Would fix {_errors(count)}{extra}.\n"
    return f"No errors would be fixed{extra}.\n"


def _fix_stdin(
    options: LintOptions, rules: RuleSet, args: argparse.Namespace, stdout: TextIO, stderr: TextIO
) -> int:
    """As ruff: the fixed source goes to stdout (the diff with --diff), the report to stderr."""
    import io
    import tokenize

    from prunelint.fixer import fix_sources, unified_diff

    filename = args.stdin_filename or "-"
    if _is_notebook_name(filename):
        raise UsageError("--fix and --diff do not rewrite notebooks, and a notebook on stdin cannot be fixed")
    data = sys.stdin.buffer.read()
    excluded = args.stdin_filename and options.settings.force_exclude and Excluder(options.settings).force_excluded(
        Path(args.stdin_filename), False
    )
    loaded = None if excluded else decode(data, filename, os.path.abspath(filename))
    if not isinstance(loaded, Source):
        if not args.diff:
            _write_bytes(stdout, data)  # unchanged: a filter must not swallow its input
        if loaded is None:
            return EXIT_CLEAN
        diagnostics = finalize([loaded], options, {})
        _report(diagnostics, options.settings.output_format, rules, args, stderr, {})
        return EXIT_FINDINGS if diagnostics and not args.exit_zero else EXIT_CLEAN

    def lint(current):
        return finalize(lint_sources(current, options), options, {s.filename: s.text for s in current})

    run = fix_sources([loaded], lint, args.unsafe_fixes)
    for failure in run.failures:
        stderr.write(f"warning: {failure.describe()}\n")
    text = run.fixed_texts.get(filename, loaded.text)
    if args.diff:
        if text != loaded.text:
            stdout.write(unified_diff(filename, loaded.text, text))
        stderr.write(_would_fix(run.fixed_count, run.diagnostics, args))
        return EXIT_FINDINGS if text != loaded.text else EXIT_CLEAN
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    _write_bytes(stdout, text.encode(encoding, errors="surrogateescape") if text != loaded.text else data)
    _report(run.diagnostics, options.settings.output_format, rules, args, stderr, {filename: text}, fixed=run.fixed_count)
    return EXIT_FINDINGS if run.diagnostics and not args.exit_zero else EXIT_CLEAN


def _write_bytes(stream: TextIO, data: bytes) -> None:
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(data.decode("utf-8", errors="replace"))
        return
    stream.flush()
    buffer.write(data)
    buffer.flush()


def _lint_stdin(stdin_filename: str | None, options: LintOptions) -> tuple[list[Diagnostic], dict[str, str]]:
    filename = stdin_filename or "-"
    if stdin_filename and options.settings.force_exclude:
        if Excluder(options.settings).force_excluded(Path(stdin_filename), False):
            return [], {}
    data = sys.stdin.buffer.read()
    if is_notebook(filename):
        return _lint_stdin_notebook(data, filename, options)
    loaded = decode(data, filename, os.path.abspath(filename))
    if not isinstance(loaded, Source):
        return finalize([loaded], options, {}), {}
    diagnostics = finalize(lint_sources([loaded], options), options, {filename: loaded.text})
    return diagnostics, {filename: loaded.text}


def _lint_stdin_notebook(
    data: bytes, filename: str, options: LintOptions
) -> tuple[list[Diagnostic], dict[str, str]]:
    loaded = parse_notebook(data, filename, os.path.abspath(filename))
    if not isinstance(loaded, Notebook):
        return finalize([loaded], options, {}), {}
    found = lint_sources([loaded.source], options) + list(loaded.cell_errors)
    diagnostics = in_cells(finalize(found, options, {filename: loaded.source.text}), [loaded.source])
    # The notebook's own text, for code frames: its cells are read from it.
    return diagnostics, {filename: data.decode("utf-8-sig", errors="replace")}


def _report(
    diagnostics: list[Diagnostic],
    fmt: str,
    rules: RuleSet,
    args: argparse.Namespace,
    stdout: TextIO,
    texts: dict[str, str],
    fixed: int = 0,
) -> None:
    from prunelint.formatters import render

    infos = rules.infos()
    if args.statistics:
        counts = Counter(d.code for d in diagnostics)
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            stdout.write(f"{count:>5}\t{code}\t{infos[code].name}\n")
        if counts and not args.quiet:
            stdout.write(f"Found {_errors(len(diagnostics))}.\n")
        return

    def source_lines(filename: str):
        if filename in texts:
            return _lines(texts[filename])
        loaded = read_source(filename, filename)
        if isinstance(loaded, Source):  # decoded as it was linted: BOM, PEP 263 cookie
            return _lines(loaded.text)
        try:
            with open(filename, "rb") as handle:
                data = handle.read()
        except OSError:
            return None
        if b"\x00" in data:  # a binary file: nothing worth showing
            return None
        return _lines(data.decode("utf-8", errors="replace"))

    def notebook_cell_lines(filename: str, cell: int):
        if filename in texts:
            return cell_lines(texts[filename], cell)
        try:
            with open(filename, "rb") as handle:
                return cell_lines(handle.read().decode("utf-8-sig", errors="replace"), cell)
        except OSError:
            return None

    stdout.write(
        render(
            diagnostics,
            fmt,
            infos,
            source_lines=source_lines,
            cell_lines=notebook_cell_lines,
            unsafe_fixes=args.unsafe_fixes,
        )
    )
    if fmt in ("concise", "full") and not args.quiet:
        stdout.write(_summary(diagnostics, fixed, args))


def _summary(diagnostics: list[Diagnostic], fixed: int, args: argparse.Namespace) -> str:
    """ruff's summary: the count, what was fixed, and what `--fix` (or `--unsafe-fixes`) would do."""
    from prunelint.fixer import applicable

    total = len(diagnostics) + fixed
    if not total:
        return "All checks passed!\n"
    if fixed:
        lines = [f"Found {_errors(total)} ({fixed} fixed, {len(diagnostics)} remaining)."]
    else:
        lines = [f"Found {_errors(total)}."]
    fixable = sum(1 for d in diagnostics if applicable(d, args.unsafe_fixes))
    hidden = 0
    if not args.unsafe_fixes:
        hidden = sum(1 for d in diagnostics if applicable(d, True) and d.fix.applicability == "unsafe")
    hint = f"{hidden} hidden fix{'' if hidden == 1 else 'es'} can be enabled with the `--unsafe-fixes` option"
    if fixable and not args.fix:
        lines.append(f"[*] {fixable} fixable with the `--fix` option" + (f" ({hint})." if hidden else "."))
    elif hidden:
        lines.append(f"No fixes available ({hint})." if not args.fix else f"{hint[0].upper()}{hint[1:]}.")
    return "\n".join(lines) + "\n"


def _lines(text: str) -> list[str]:
    """Split as Python counts rows: only \\r\\n, \\r and \\n end a line (not \\f or \\u2028)."""
    lines = _LINE_BREAK.split(text)
    if lines[-1] == "":  # the break that ends the last line starts no new one
        lines.pop()
    return lines


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _errors(count: int) -> str:
    return f"{count} error" if count == 1 else f"{count} errors"


def run_rule(argv: Sequence[str], stdout: TextIO) -> int:
    args = build_rule_parser().parse_args(list(argv))
    infos = load_rules().infos()
    if args.all:
        stdout.write("\n".join(info.docs for info in infos.values()))
        return EXIT_CLEAN
    if not args.code:
        raise UsageError("give a rule code, e.g. `prunelint rule PRL001`, or --all")
    info = infos.get(args.code.upper())
    if info is None:
        raise UsageError(f"unknown rule code `{args.code}` (known codes: {', '.join(infos)})")
    stdout.write(info.docs)
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    stdout, stderr = sys.stdout, sys.stderr
    try:
        if argv[:1] == ["rule"]:
            return run_rule(argv[1:], stdout)
        if argv[:1] == ["check"]:
            argv = argv[1:]
        return run_check(argv, stdout, stderr)
    except (UsageError, ConfigError, SelectionError, PluginError) as exc:
        stderr.write(f"error: {exc}\n")
        return EXIT_ERROR
    except SystemExit as exc:  # --help and --version: return the code, as for every other outcome
        return exc.code if isinstance(exc.code, int) else EXIT_CLEAN
    except KeyboardInterrupt:
        stderr.write("error: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as exc:  # never a traceback for the user
        if os.environ.get("PRUNELINT_DEBUG"):
            raise
        stderr.write(f"error: internal error: {type(exc).__name__}: {exc} (set PRUNELINT_DEBUG=1 for details)\n")
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
