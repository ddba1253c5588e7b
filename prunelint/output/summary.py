"""The lines ruff prints after the findings: counts, what was fixed, what `--fix` would do."""

from __future__ import annotations

import json
from collections import Counter
from typing import Mapping, Sequence

from prunelint.diagnostics import Diagnostic
from prunelint.ruleinfo import RuleInfo


def errors(count: int) -> str:
    return f"{count} error" if count == 1 else f"{count} errors"


def _hidden(diagnostics: Sequence[Diagnostic], unsafe_fixes: bool) -> int:
    """Fixes that only `--unsafe-fixes` would apply."""
    if unsafe_fixes:
        return 0
    return sum(1 for d in diagnostics if d.fixable(True) and d.fix is not None and d.fix.applicability == "unsafe")


def summary(diagnostics: Sequence[Diagnostic], fixed: int, fixing: bool, unsafe_fixes: bool) -> str:
    """ruff 0.17.6's summary: the count, what was fixed, and what `--fix` (or `--unsafe-fixes`)
    would do."""
    total = len(diagnostics) + fixed
    if not total:
        return "All checks passed!\n"
    if fixed:
        lines = [f"Found {errors(total)} ({fixed} fixed, {len(diagnostics)} remaining)."]
    else:
        lines = [f"Found {errors(total)}."]
    fixable = sum(1 for d in diagnostics if d.fixable(unsafe_fixes))
    hidden = _hidden(diagnostics, unsafe_fixes)
    hint = f"{hidden} unsafe fix{'' if hidden == 1 else 'es'} available with `--fix --unsafe-fixes`"
    if fixable and not fixing:
        lines.append(f"[*] {fixable} fixable with `--fix`" + (f" ({hint})." if hidden else "."))
    elif hidden:
        lines.append(f"{hint}.")
    return "\n".join(lines) + "\n"


def would_fix(count: int, remaining: Sequence[Diagnostic], unsafe_fixes: bool) -> str:
    """ruff's last line under --diff."""
    hidden = _hidden(remaining, unsafe_fixes)
    extra = ""
    if hidden:
        extra = f" ({hidden} {'additional ' if count else ''}fix{'' if hidden == 1 else 'es'} available with `--unsafe-fixes`)"
    if count:
        return f"Would fix {errors(count)}{extra}.\n"
    return f"No errors would be fixed{extra}.\n"


def statistics(
    diagnostics: Sequence[Diagnostic],
    infos: Mapping[str, RuleInfo],
    quiet: bool,
    fmt: str = "concise",
    unsafe_fixes: bool = False,
) -> str:
    """`--statistics`: findings per rule, most frequent first, as ruff prints them: the count,
    the code, a fixable mark (`[*]`, or `[ ]`, when any is fixable) and the name; or ruff's
    JSON list with `--output-format json`."""
    counts = Counter(d.code for d in diagnostics)
    fixable = Counter(d.code for d in diagnostics if d.fixable(unsafe_fixes))
    order = sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def name(code: str) -> str:
        return infos[code].name if code in infos else code

    if fmt == "json":
        items = [
            {"code": code, "name": name(code), "count": count, "fixable": fixable[code] > 0, "fixable_count": fixable[code]}
            for code, count in order
        ]
        return json.dumps(items, indent=2) + "\n"
    count_width = max((len(str(count)) for _, count in order), default=0)
    code_width = max((len(code) for code, _ in order), default=0)
    any_fixable = bool(fixable)
    lines = []
    for code, count in order:
        mark = ("[*] " if fixable[code] else "[ ] ") if any_fixable else ""
        lines.append(f"{count:>{count_width}}\t{code:<{code_width}}\t{mark}{name(code)}\n")
    if counts and not quiet:
        lines.append(summary(diagnostics, 0, False, unsafe_fixes))
    return "".join(lines)


def show_fixes(fixed: Mapping[str, Mapping[str, int]], infos: Mapping[str, RuleInfo]) -> str:
    """ruff's `--show-fixes` list: per file, how many findings of each rule were fixed."""
    total = sum(sum(codes.values()) for codes in fixed.values())
    if not total:
        return "No errors fixed.\n"
    lines = [f"Fixed {errors(total)}:\n"]
    for filename in sorted(fixed):
        lines.append(f"- {filename}:\n")
        for code, count in sorted(fixed[filename].items(), key=lambda item: (-item[1], item[0])):
            name = infos[code].name if code in infos else code
            lines.append(f"    {count} × {code} ({name})\n")
    return "".join(lines)
