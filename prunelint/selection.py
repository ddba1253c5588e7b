"""`--select`, `--ignore` and `--extend-select`, by code or prefix, as ruff reads them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from prunelint.ruleinfo import RuleInfo


class SelectionError(ValueError):
    pass


@dataclass(frozen=True)
class Selection:
    select: tuple[str, ...] | None = None  # None: the default rules
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


def _expand(selector: str, rules: Mapping[str, RuleInfo], option: str) -> set[str]:
    selector = selector.strip().upper()
    if selector == "ALL":
        return set(rules)
    matched = {code for code in rules if code.startswith(selector)}
    if not selector or not matched:
        known = ", ".join(sorted(rules))
        raise SelectionError(f"unknown rule selector `{selector}` in {option} (known codes: {known})")
    return matched


def enabled_codes(selection: Selection, rules: Mapping[str, RuleInfo]) -> frozenset[str]:
    """The codes that run. A prefix selects every rule under it, opt-in rules included."""
    if selection.select is None:
        codes = {code for code, info in rules.items() if info.default_enabled}
    else:
        codes = set()
        for selector in selection.select:
            codes |= _expand(selector, rules, "--select")
    for selector in selection.extend_select:
        codes |= _expand(selector, rules, "--extend-select")
    for selector in selection.ignore:
        codes -= _expand(selector, rules, "--ignore")
    return frozenset(codes)


def validate(selectors: Iterable[str], rules: Mapping[str, RuleInfo], option: str) -> None:
    for selector in selectors:
        _expand(selector, rules, option)
