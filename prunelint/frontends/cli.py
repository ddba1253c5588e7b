"""`prunelint [check] PATHS` and `prunelint rule CODE`, with ruff's options and exit codes.

Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence, TextIO

from prunelint import __version__, api
from prunelint.engine.options import LintOptions
from prunelint.fix.fixer import unified_diff
from prunelint.io.notebook import is_notebook
from prunelint.output.formats import render
from prunelint.output.summary import statistics, summary, would_fix
from prunelint.plugins.registry import PluginError, load_rules
from prunelint.settings.config import (
    OUTPUT_FORMATS, ConfigError, Settings, check_patterns, find_settings, load_config_file,
)
from prunelint.settings.selection import Selection, SelectionError

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
    for option, patterns in (("--exclude", args.exclude), ("--extend-exclude", args.extend_exclude)):
        check_patterns(patterns or (), option, "command line")
    # The rule selection stays as configured: the command line is a second layer over it
    # (see `_selection`), as in ruff.
    return settings.with_overrides(
        exclude=tuple(args.exclude) if args.exclude is not None else None,
        extend_exclude=settings.extend_exclude + tuple(args.extend_exclude or ()),
        respect_gitignore=args.respect_gitignore,
        force_exclude=args.force_exclude,
        output_format=args.output_format,
    )


def _selection(args: argparse.Namespace) -> Selection:
    """The command line's selection, applied over the configuration's."""
    return Selection(
        tuple(args.select) if args.select is not None else None,
        tuple(args.extend_select or ()),
        tuple(args.ignore or ()),
    )


def run_check(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    args = build_parser().parse_args(list(argv))
    if args.jobs is not None and args.jobs < 0:
        raise UsageError("--jobs must be 0 (one per CPU) or more")
    paths = args.paths or ["."]
    if "-" in paths and len(paths) > 1:
        raise UsageError("`-` (stdin) cannot be combined with other paths")
    settings = _settings(args)
    # Files named one by one (as pre-commit does) may call into modules left out of the run.
    named = [p for p in paths if p != "-" and os.path.isfile(p)]
    options = api.configure(
        settings,
        _selection(args),
        jobs=args.jobs or (os.cpu_count() or 1),
        # Like ruff, every CPU by default, but a process pool only pays off beyond a few files.
        min_files_per_job=MIN_FILES_PER_JOB if args.jobs is None else 1,
        cache=settings.cache if args.cache is None else args.cache,
        prefilter=args.prefilter,
        roots=(os.getcwd(),),
        named_files=named,
    )
    if paths == ["-"]:
        if args.stdin_filename and is_notebook(args.stdin_filename) and (args.fix or args.diff):
            raise UsageError("--fix and --diff do not rewrite notebooks, and a notebook on stdin cannot be fixed")
        data = sys.stdin.buffer.read()
        if args.fix or args.diff:
            return _fix_stdin(data, options, args, stdout, stderr)
        report = api.check_bytes(data, args.stdin_filename, options)
    elif args.fix or args.diff:
        return _fix_paths(paths, options, args, stdout, stderr)
    else:
        report = api.check_paths(paths, options)
    _report(report, options, args, stdout)
    return EXIT_FINDINGS if report.diagnostics and not args.exit_zero else EXIT_CLEAN


def _fix_paths(
    paths: list[str], options: LintOptions, args: argparse.Namespace, stdout: TextIO, stderr: TextIO
) -> int:
    """`--fix`, `--unsafe-fixes` and `--diff`: fix in memory, then write or diff."""
    report = api.fix_paths(paths, options, args.unsafe_fixes)
    for name, fixable in sorted(report.notebooks.items()):
        stderr.write(f"warning: {name}: not fixed: `--fix` never rewrites notebooks ({fixable} fixable {'finding' if fixable == 1 else 'findings'} left)\n")
    for failure in report.failures:
        stderr.write(f"warning: {failure.describe()}\n")
    if args.diff:
        for filename in sorted(report.fixed_texts):
            stdout.write(unified_diff(filename, report.original(filename), report.fixed_texts[filename]))
        stderr.write(would_fix(report.fixed, report.diagnostics, args.unsafe_fixes))
        return EXIT_FINDINGS if report.fixed_texts else EXIT_CLEAN
    unwritten = api.write_fixes(report)
    for failure in unwritten:
        stderr.write(f"error: {failure.describe()}\n")
    _report(report, options, args, stdout, fixed=report.fixed)
    if unwritten:
        return EXIT_FINDINGS
    return EXIT_FINDINGS if report.diagnostics and not args.exit_zero else EXIT_CLEAN


def _fix_stdin(data: bytes, options: LintOptions, args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """As ruff: the fixed source goes to stdout (the diff with --diff), the report to stderr."""
    filename = args.stdin_filename or "-"
    report = api.fix_bytes(data, args.stdin_filename, options, args.unsafe_fixes)
    if not isinstance(report, api.FixReport):  # undecodable, or left out by --force-exclude
        if not args.diff:
            _write_bytes(stdout, data)  # unchanged: a filter must not swallow its input
        if not report.diagnostics:
            return EXIT_CLEAN
        _report(report, options, args, stderr)
        return EXIT_FINDINGS if not args.exit_zero else EXIT_CLEAN
    for failure in report.failures:
        stderr.write(f"warning: {failure.describe()}\n")
    if args.diff:
        changed = filename in report.fixed_texts
        if changed:
            stdout.write(unified_diff(filename, report.original(filename), report.fixed_texts[filename]))
        stderr.write(would_fix(report.fixed, report.diagnostics, args.unsafe_fixes))
        return EXIT_FINDINGS if changed else EXIT_CLEAN
    _write_bytes(stdout, api.fixed_bytes(report, filename, data))
    _report(report, options, args, stderr, fixed=report.fixed)
    return EXIT_FINDINGS if report.diagnostics and not args.exit_zero else EXIT_CLEAN


def _write_bytes(stream: TextIO, data: bytes) -> None:
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(data.decode("utf-8", errors="replace"))
        return
    stream.flush()
    buffer.write(data)
    buffer.flush()


def _report(report: api.Report, options: LintOptions, args: argparse.Namespace, stdout: TextIO, fixed: int = 0) -> None:
    infos = options.rules.infos()
    fmt = options.settings.output_format
    if args.statistics:
        stdout.write(statistics(report.diagnostics, infos, args.quiet))
        return
    stdout.write(
        render(
            report.diagnostics,
            fmt,
            infos,
            source_lines=report.lines,
            cell_lines=report.cell_lines,
            unsafe_fixes=args.unsafe_fixes,
        )
    )
    if fmt in ("concise", "full") and not args.quiet:
        stdout.write(summary(report.diagnostics, fixed, args.fix, args.unsafe_fixes))


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
