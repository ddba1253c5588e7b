"""The built-in rules, registered through the same `prunelint` entry point as any plugin.

One rule per module, named `prlNNN_<name>.py` after its code, so adding a rule is adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil

from prunelint.rules.base import Rule


def builtin_rules() -> tuple[type[Rule], ...]:
    found: list[type[Rule]] = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not (module_info.name.startswith("prl") and module_info.name[3:6].isdigit()):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        found.extend(
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, Rule) and value.__module__ == module.__name__
            and isinstance(getattr(value, "CODE", None), str)
        )
    return tuple(found)


def prunelint_rules() -> list[type[Rule]]:
    """The built-in rules' `prunelint_rules` hook. `plugins.registry.plugin_manager` marks it
    as a `hookimpl` when a run needs pluggy (a third-party plugin is installed); a run with the
    built-in rules alone calls it directly and never imports pluggy."""
    return list(builtin_rules())
