"""`prunelint [check] PATHS` and `prunelint rule CODE|NAME`, with ruff's options and exit codes.

Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from dataclasses import fields, replace
from typing import Sequence, TextIO

from prunelint import __version__, api
from prunelint.engine.options import LintOptions
from prunelint.io.notebook import is_notebook
from prunelint.output.formats import render
from prunelint.output.summary import show_fixes, statistics, summary, would_fix
from prunelint.plugins.registry import PluginError, load_rules
from prunelint.io.discovery import discover
from prunelint.settings.config import (
    OUTPUT_FORMATS, ConfigError, Settings, check_patterns, find_settings, load_config_file,
)
from prunelint.settings.selection import Selection, SelectionError
from prunelint.engine.run import MIN_WORK_PER_JOB

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


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
    # While a parser is built, argparse makes a formatter for each argument (to check its
    # metavar), and each asks for the terminal's width, importing shutil (and bz2 and lzma
    # with it) in every run: a fixed width does for that check; help and usage get the real one.
    building = True

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise UsageError(message)

    def _get_formatter(self):  # type: ignore[override]
        if self.building:
            return self.formatter_class(prog=self.prog, width=80)
        return super()._get_formatter()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="prunelint",
        usage="prunelint [check] [OPTIONS] [PATH ...]\n       prunelint rule [CODE|NAME] [--all] [--output-format text|json|markdown]",
        description="Lint Torch-Pruning code for pitfalls that fail late or silently.",
        epilog=(
            "commands:\n"
            "  check       lint the paths (the default command: `prunelint src/` is `prunelint check src/`)\n"
            "  rule        print a rule's documentation, by code or name (`prunelint rule grad-disabled-tracing`)\n"
            "  server      the editor integration: a Language Server over stdio (pip install \"prunelint[server]\")"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to lint (default: .); `-` reads stdin")
    parser.add_argument("--version", action="version", version=f"prunelint {__version__}")
    sel = parser.add_argument_group("rule selection")
    sel.add_argument("--select", action=_Extend, metavar="CODES", help="comma-separated codes or prefixes to enable (ALL for every rule)")
    sel.add_argument("--extend-select", action=_Extend, metavar="CODES", help="codes or prefixes to enable on top of the selection")
    sel.add_argument("--ignore", action=_Extend, metavar="CODES", help="codes or prefixes to disable")
    sel.add_argument("--extend-per-file-ignores", action="append", metavar="PATTERN:CODES", help="per-file ignores on top of the configured ones, e.g. `tests/*:PRL102`")
    sel.add_argument("--ignore-noqa", action="store_true", help="ignore every `# noqa` comment")
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
    out.add_argument("--output-format", choices=OUTPUT_FORMATS, metavar="FORMAT", help=f"one of {', '.join(OUTPUT_FORMATS)} (default: concise)")
    out.add_argument("--statistics", action="store_true", help="count findings per rule instead of listing them (as JSON with --output-format json)")
    out.add_argument("--show-files", action="store_true", help="list the files that would be linted, and exit")
    out.add_argument("--show-settings", action="store_true", help="print the resolved settings, and exit")
    out.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    out.add_argument("-q", "--quiet", action="store_true", help="print findings only, no summary")
    fixes = parser.add_argument_group("fixes")
    fixes.add_argument("--fix", dest="fix", action="store_true", default=False, help="apply the safe fixes and rewrite the files (never notebooks)")
    fixes.add_argument("--no-fix", dest="fix", action="store_false", help="report only (the default)")
    fixes.add_argument("--unsafe-fixes", dest="unsafe_fixes", action="store_true", default=False, help="also apply (with --fix) or offer the unsafe fixes")
    fixes.add_argument("--no-unsafe-fixes", dest="unsafe_fixes", action="store_false", help="never apply or offer the unsafe fixes (the default)")
    fixes.add_argument("--diff", action="store_true", help="print a diff of what the fixes would change, and write nothing; exit 1 if something would change")
    fixes.add_argument("--fix-only", action="store_true", help="apply the fixes, but report no remaining finding (implies --fix); exit 0 unless --exit-non-zero-on-fix")
    fixes.add_argument("--show-fixes", action="store_true", help="list the fixed findings per file and rule (with --fix)")
    fixes.add_argument("--exit-non-zero-on-fix", action="store_true", help="exit 1 when a fix was applied, even if nothing remains")
    fixes.add_argument("--add-noqa", action="store_true", help="add `# noqa: CODE` to every line with a finding, and exit")
    run = parser.add_argument_group("execution")
    run.add_argument("-j", "--jobs", type=int, default=None, metavar="N", help="parallel processes (0: one per CPU; default: one per CPU when many files need parsing, else 1)")
    run.add_argument("--no-cache", dest="cache", action="store_false", default=None, help="neither read nor write the .prunelint_cache")
    run.add_argument("-w", "--watch", action="store_true", help="lint again whenever a linted file changes (polls; Ctrl-C stops)")
    # For tests: poll this often (seconds), and stop after this many runs.
    run.add_argument("--watch-interval", type=float, default=0.5, help=argparse.SUPPRESS)
    run.add_argument("--watch-runs", type=int, default=0, help=argparse.SUPPRESS)
    # For the benchmark's check that the prefilter changes no finding: parse every file.
    run.add_argument("--no-prefilter", dest="prefilter", action="store_false", help=argparse.SUPPRESS)
    parser.building = False
    return parser


def build_rule_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="prunelint rule", description="Print a rule's documentation.")
    parser.add_argument("code", nargs="?", help="the rule's code or name, e.g. PRL001 or grad-disabled-tracing")
    parser.add_argument("--all", action="store_true", help="print every rule's documentation")
    parser.add_argument("--output-format", choices=("text", "json", "markdown"), default="text", help="text (default, markdown as ruff prints it), json, or markdown")
    parser.building = False
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
    extra_ignores = tuple(_per_file_ignore(value) for value in args.extend_per_file_ignores or ())
    return settings.with_overrides(
        per_file_ignores=settings.per_file_ignores + extra_ignores if extra_ignores else None,
        exclude=tuple(args.exclude) if args.exclude is not None else None,
        extend_exclude=settings.extend_exclude + tuple(args.extend_exclude or ()),
        respect_gitignore=args.respect_gitignore,
        force_exclude=args.force_exclude,
        output_format=args.output_format,
    )


def _per_file_ignore(value: str) -> tuple[str, tuple[str, ...]]:
    """`PATTERN:CODES`, as ruff spells it (the last `:` separates them)."""
    pattern, sep, codes = value.rpartition(":")
    if not sep or not pattern or not _csv(codes):
        raise UsageError(f"--extend-per-file-ignores wants PATTERN:CODES, e.g. `tests/*:PRL102`; got {value!r}")
    return pattern, tuple(_csv(codes))


def _selection(args: argparse.Namespace) -> Selection:
    """The command line's selection, applied over the configuration's."""
    return Selection(
        tuple(args.select) if args.select is not None else None,
        tuple(args.extend_select or ()),
        tuple(args.ignore or ()),
    )


def run_check(argv: Sequence[str], stdout: TextIO, stderr: TextIO, freeze_startup: bool = False) -> int:
    args = build_parser().parse_args(list(argv))
    if args.jobs is not None and args.jobs < 0:
        raise UsageError("--jobs must be 0 (one per CPU) or more")
    paths = args.paths or ["."]
    if "-" in paths and len(paths) > 1:
        raise UsageError("`-` (stdin) cannot be combined with other paths")
    if args.fix_only:
        args.fix = True
    if args.add_noqa and (args.fix or args.diff):
        raise UsageError("--add-noqa cannot be combined with --fix or --diff")
    if args.watch and "-" in paths:
        raise UsageError("--watch cannot read stdin")
    settings = _settings(args)
    if args.show_settings:
        return _show_settings(settings, stdout)
    if args.show_files:
        for name in sorted(os.path.abspath(f) for f in discover([p for p in paths if p != "-"], settings).files):
            stdout.write(name + "\n")
        return EXIT_CLEAN
    # Files named one by one (as pre-commit does) may call into modules left out of the run.
    named = [p for p in paths if p != "-" and os.path.isfile(p)]
    options = api.configure(
        settings,
        _selection(args),
        jobs=args.jobs or (os.cpu_count() or 1),
        # Like ruff, every CPU by default, but a process pool only pays off for enough text.
        min_work_per_job=MIN_WORK_PER_JOB if args.jobs is None else 0,
        cache=settings.cache if args.cache is None else args.cache,
        prefilter=args.prefilter,
        roots=(os.getcwd(),),
        named_files=named,
    )
    if args.ignore_noqa:
        options = replace(options, ignore_noqa=True)
    if freeze_startup:
        # What start-up made (modules, rules, the API data) lives until the process exits:
        # out of the collector's generations, no collection of this run rescans it.
        gc.freeze()
    if args.watch:
        return _watch(paths, options, args, stdout, stderr)
    if args.add_noqa:
        return _add_noqa(paths, options, args, stderr)
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
            stdout.write(_unified_diff(filename, report.original(filename), report.fixed_texts[filename]))
        stderr.write(would_fix(report.fixed, report.diagnostics, args.unsafe_fixes))
        return EXIT_FINDINGS if report.fixed_texts else EXIT_CLEAN
    unwritten = api.write_fixes(report)
    for failure in unwritten:
        stderr.write(f"error: {failure.describe()}\n")
    if args.fix_only:
        if report.fixed and not args.quiet:
            if args.show_fixes:
                stdout.write(show_fixes(report.fixed_findings, options.rules.infos()))
            stdout.write(f"Fixed {report.fixed} error{'' if report.fixed == 1 else 's'}.\n")
    else:
        _report(report, options, args, stdout, fixed=report.fixed)
    if unwritten:
        return EXIT_FINDINGS
    return _fix_exit(report, args)


def _fix_exit(report: api.FixReport, args: argparse.Namespace) -> int:
    if args.exit_non_zero_on_fix and report.fixed:
        return EXIT_FINDINGS
    if args.fix_only:
        return EXIT_CLEAN
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
            stdout.write(_unified_diff(filename, report.original(filename), report.fixed_texts[filename]))
        stderr.write(would_fix(report.fixed, report.diagnostics, args.unsafe_fixes))
        return EXIT_FINDINGS if changed else EXIT_CLEAN
    _write_bytes(stdout, api.fixed_bytes(report, filename, data))
    if not args.fix_only:
        _report(report, options, args, stderr, fixed=report.fixed)
    return _fix_exit(report, args)


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
        stdout.write(statistics(report.diagnostics, infos, args.quiet, fmt=fmt, unsafe_fixes=args.unsafe_fixes))
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
    if fmt in ("concise", "full", "grouped") and not args.quiet:
        if args.show_fixes and fixed and isinstance(report, api.FixReport):
            stdout.write("\n" + show_fixes(report.fixed_findings, infos) + "\n")
        stdout.write(summary(report.diagnostics, fixed, args.fix, args.unsafe_fixes))


def run_rule(argv: Sequence[str], stdout: TextIO) -> int:
    args = build_rule_parser().parse_args(list(argv))
    infos = {code: info for code, info in load_rules().infos().items()}
    if args.all:
        chosen = list(infos.values())
    elif not args.code:
        raise UsageError("give a rule code or name, e.g. `prunelint rule PRL001` or `prunelint rule grad-disabled-tracing`, or --all")
    else:
        wanted = args.code.strip()
        info = infos.get(wanted.upper()) or next((i for i in infos.values() if i.name == wanted.lower()), None)
        if info is None:
            raise UsageError(f"unknown rule `{args.code}` (known codes: {', '.join(infos)}; names: `prunelint rule --all`)")
        chosen = [info]
    if args.output_format == "json":
        items = [_rule_json(info) for info in chosen]
        stdout.write(json.dumps(items if args.all else items[0], indent=2, ensure_ascii=False) + "\n")
    elif args.output_format == "markdown" and args.all:
        from prunelint.frontends.docs import rules_table

        stdout.write(rules_table() + "\n" + "\n".join(info.docs for info in chosen))
    else:
        stdout.write("\n".join(info.docs for info in chosen))
    return EXIT_CLEAN


def run_server(argv: Sequence[str], stdout: TextIO) -> int:
    """`prunelint server`: the Language Server over stdio (prunelint/frontends/server.py)."""
    parser = _Parser(
        prog="prunelint server",
        description="Run the Language Server over stdin and stdout, for editors (see docs/editors.md).",
    )
    # Editors' LSP clients often pass --stdio; stdio is the only transport.
    parser.add_argument("--stdio", action="store_true", help="talk over stdin and stdout (the default and only way)")
    parser.parse_args(list(argv))
    try:
        from prunelint.frontends import server
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] in ("pygls", "lsprotocol", "cattrs", "attrs"):
            raise UsageError(
                f"`prunelint server` needs pygls 2 ({exc.name} is not installed): "
                'pip install "prunelint[server]"'
            ) from None
        raise
    return server.serve(argv)

def _rule_json(info) -> dict:
    """The keys of `ruff rule --output-format json`."""
    return {
        "name": info.name,
        "code": info.code,
        "linter": "prunelint",
        "summary": info.summary,
        "message_formats": [info.message] if info.message else [],
        "fix": "Fix is sometimes available." if info.fixable else "Fix is not available.",
        "explanation": info.docs,
        "preview": False,
        "default": info.default_enabled,
        "url": info.url,
    }


def _show_settings(settings: Settings, stdout: TextIO) -> int:
    """The resolved settings, one `key = value` a line (TOML-like, as ruff prints them)."""
    stdout.write(f"Resolved settings from: {settings.config_file or '(defaults)'}\n\n")
    for f in fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, tuple):
            value = [list(v) if isinstance(v, tuple) else v for v in value]
        stdout.write(f"{f.name.replace('_', '-')} = {json.dumps(value)}\n")
    return EXIT_CLEAN


def _add_noqa(paths: list[str], options: LintOptions, args: argparse.Namespace, stderr: TextIO) -> int:
    """`--add-noqa`: a `# noqa: CODE` for every finding, merged into a directive already there."""
    from prunelint.fix.noqa import add_noqa

    report = api.check_paths(paths, replace(options, ignore_noqa=False))
    added, failures = add_noqa(report.diagnostics, report.texts, report.sources)
    for failure in failures:
        stderr.write(f"warning: {failure}\n")
    stderr.write(f"Added {added} noqa directive{'' if added == 1 else 's'}.\n")
    return EXIT_CLEAN


def _watch(paths: list[str], options: LintOptions, args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """`--watch`: lint, then poll the files' times and sizes and lint again on a change. Polling
    needs no library and behaves the same on every platform; a tree of thousands of files is
    stat'ed in milliseconds."""

    def state() -> dict[str, tuple[int, int]]:
        seen = {}
        for name in discover(list(paths), options.settings).files:
            try:
                st = os.stat(name)
            except OSError:
                continue
            seen[name] = (st.st_mtime_ns, st.st_size)
        return seen

    runs = 0
    code = EXIT_CLEAN
    try:
        while True:
            before = state()
            stderr.write(f"[{time.strftime('%H:%M:%S')}] {'Starting linter in watch mode' if not runs else 'File change detected'}...\n")
            report = api.check_paths(paths, options)
            _report(report, options, args, stdout)
            stdout.flush()
            code = EXIT_FINDINGS if report.diagnostics and not args.exit_zero else EXIT_CLEAN
            runs += 1
            if args.watch_runs and runs >= args.watch_runs:
                return code
            stderr.write(f"[{time.strftime('%H:%M:%S')}] Watching for file changes.\n")
            stderr.flush()
            while state() == before:
                time.sleep(args.watch_interval)
    except KeyboardInterrupt:
        return code


def console() -> int:
    """The `prunelint` command: `main` in a process of its own (see `run_check`'s freeze; a
    caller of `main` in a longer-lived process keeps its heap as it is).

    Once the output is out, the process ends without the interpreter's clean-up, as mypy's
    does (`mypy.util.hard_exit`): freeing a run's objects one by one took about 8 ms of a
    400 ms run on Torch-Pruning's repository, and every file was written (atomically) before
    `main` returned. Under coverage.py, which saves its data at exit, it ends as usual."""
    code = main(freeze_startup=True)
    if "coverage" in sys.modules:
        return code
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (`prunelint | head`): as during the run
        code = EXIT_ERROR
    except (OSError, ValueError):  # a closed or failing stream: let the usual exit report it
        return code
    os._exit(code)


def main(argv: Sequence[str] | None = None, *, freeze_startup: bool = False) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    stdout, stderr = sys.stdout, sys.stderr
    try:
        if argv[:1] == ["rule"]:
            return run_rule(argv[1:], stdout)
        if argv[:1] == ["server"]:
            return run_server(argv[1:], stdout)
        if argv[:1] == ["check"]:
            argv = argv[1:]
        return run_check(argv, stdout, stderr, freeze_startup)
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
    sys.exit(console())


def _unified_diff(filename: str, before: str, after: str) -> str:
    from prunelint.fix.fixer import unified_diff  # difflib and the fixer, for --diff only

    return unified_diff(filename, before, after)
