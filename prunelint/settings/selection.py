"""`--select`, `--ignore` and `--extend-select`, by code or prefix, as ruff reads them.

As in ruff, the selection is resolved in layers (the configuration file, then the command line):
a layer that sets `select` starts afresh (so `--select PRL001` overrides a configured
`ignore = ["PRL001"]`), one that does not adds its `extend-select` and removes its `ignore`
from what the layers before it enabled. Within a layer the more specific selector wins
(`select = ["PRL001"]` with `ignore = ["PRL"]` keeps PRL001), and `ignore` wins a tie.
"""

from __future__ import annotations

from typing import Iterable, Mapping, NamedTuple, Sequence

from prunelint.ruleinfo import RuleInfo
from prunelint.settings.config import bounded


class SelectionError(ValueError):
    pass


class Selection(NamedTuple):
    select: tuple[str, ...] | None = None  # None: keep what the previous layer (or the defaults) enabled
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    # Where the selectors come from, for error messages: "" for the command line, else a file.
    origin: str = ""


def _option(origin: str, option: str) -> str:
    return option if not origin else f"`{option.lstrip('-')}` of {origin}"


def _expand(selector: str, rules: Mapping[str, RuleInfo], option: str) -> set[str]:
    selector = selector.strip().upper()
    if selector == "ALL":
        return set(rules)
    if not selector:
        raise SelectionError(f"empty rule selector in {option}")
    matched = {code for code in rules if code.startswith(selector)}
    if not matched:
        known = ", ".join(sorted(rules))
        # Echoed at a bounded length: a selector can be a whole file pasted by mistake.
        raise SelectionError(f"unknown rule selector `{bounded(selector)}` in {option} (known codes: {known})")
    return matched


def _specificity(selector: str) -> int:
    selector = selector.strip().upper()
    return 0 if selector == "ALL" else len(selector)


def enabled_codes(selection: Selection | Sequence[Selection], rules: Mapping[str, RuleInfo]) -> frozenset[str]:
    """The codes that run. A prefix selects every rule under it, opt-in rules included."""
    layers = (selection,) if isinstance(selection, Selection) else tuple(selection)
    codes = {code for code, info in rules.items() if info.default_enabled}
    for layer in layers:
        updates: list[tuple[int, int, set[str], bool]] = []
        for selector in layer.select or ():
            updates.append((_specificity(selector), 0, _expand(selector, rules, _option(layer.origin, "--select")), True))
        for selector in layer.extend_select:
            updates.append(
                (_specificity(selector), 0, _expand(selector, rules, _option(layer.origin, "--extend-select")), True)
            )
        for selector in layer.ignore:
            updates.append((_specificity(selector), 1, _expand(selector, rules, _option(layer.origin, "--ignore")), False))
        if layer.select is not None:
            codes = set()
        for _spec, _order, matched, enable in sorted(updates, key=lambda u: (u[0], u[1])):
            if enable:
                codes |= matched
            else:
                codes -= matched
    return frozenset(codes)


def validate(selectors: Iterable[str], rules: Mapping[str, RuleInfo], option: str) -> None:
    for selector in selectors:
        _expand(selector, rules, option)
