"""The built-in rules, registered through the same `prunelint` entry point as any plugin."""

from __future__ import annotations

from prunelint.hookspecs import hookimpl
from prunelint.rules.base import Rule
from prunelint.rules.prl001_grad_disabled_tracing import GradDisabledTracing

BUILTIN_RULES: tuple[type[Rule], ...] = (GradDisabledTracing,)


@hookimpl
def prunelint_rules() -> list[type[Rule]]:
    return list(BUILTIN_RULES)
