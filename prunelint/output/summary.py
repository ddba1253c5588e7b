"""The lines ruff prints after the findings: counts, what was fixed, what `--fix` would do."""

from __future__ import annotations

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
    """ruff's summary: the count, what was fixed, and what `--fix` (or `--unsafe-fixes`) would do."""
    total = len(diagnostics) + fixed
    if not total:
        return "All checks passed!\n"
    if fixed:
        lines = [f"Found {errors(total)} ({fixed} fixed, {len(diagnostics)} remaining)."]
    else:
        lines = [f"Found {errors(total)}."]
    fixable = sum(1 for d in diagnostics if d.fixable(unsafe_fixes))
    hidden = _hidden(diagnostics, unsafe_fixes)
    hint = f"{hidden} hidden fix{'' if hidden == 1 else 'es'} can be enabled with the `--unsafe-fixes` option"
    if fixable and not fixing:
        lines.append(f"[*] {fixable} fixable with the `--fix` option" + (f" ({hint})." if hidden else "."))
    elif hidden:
        lines.append(f"No fixes available ({hint})." if not fixing else f"{hint[0].upper()}{hint[1:]}.")
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


def statistics(diagnostics: Sequence[Diagnostic], infos: Mapping[str, RuleInfo], quiet: bool) -> str:
    """`--statistics`: findings per rule, most frequent first."""
    counts = Counter(d.code for d in diagnostics)
    lines = [
        f"{count:>5}\t{code}\t{infos[code].name}\n"
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    if counts and not quiet:
        lines.append(f"Found {errors(len(diagnostics))}.\n")
    return "".join(lines)
