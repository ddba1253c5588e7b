"""Rule discovery with pluggy: built-in rules and third-party plugins go the same way.

Where the only installed plugin is prunelint's own (the `builtin` entry point), its hook is
called directly: pluggy would call that one implementation and return its one result, and its
import (with inspect) is about 15 ms of a run.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Iterable

from prunelint import RULE_URL

from prunelint.plugins import PROJECT_NAME
from prunelint.plugins.entry_points import group_entry_points, load
from prunelint.ruleinfo import RuleInfo
from prunelint.rules.base import ProjectRule, Rule
from prunelint.io.source import FILE_ERROR_CODE

if TYPE_CHECKING:
    import pluggy

# The value of prunelint's own entry point (pyproject.toml): the built-in rules' module.
BUILTIN_PLUGIN = "prunelint.rules"


class PluginError(RuntimeError):
    pass


FILE_ERROR_INFO = RuleInfo(
    code=FILE_ERROR_CODE,
    name="unreadable-file",
    summary="A file could not be read or parsed as Python.",
    docs=(
        f"# {FILE_ERROR_CODE} `unreadable-file`\n\n"
        "**A file could not be read or parsed as Python.**\n\n"
        "Syntax errors, undecodable text (not UTF-8 and no PEP 263 cookie), binary files, "
        "unreadable paths and files too deeply nested to analyse are reported here, at the "
        "place of the problem, and the run goes on with the other files. It cannot be "
        "silenced with `# noqa`, only with `--ignore PRL000`.\n"
    ),
    url=RULE_URL.format(code=FILE_ERROR_CODE),
)


class RuleSet:
    """The loaded rules, by code. A plain class: every run makes one (a dataclass costs about a
    millisecond to create at import)."""

    def __init__(self, rules: dict[str, type[Rule]]) -> None:
        self.rules = rules

    def __repr__(self) -> str:
        return f"RuleSet({sorted(self.rules)})"

    def infos(self) -> dict[str, RuleInfo]:
        return dict(self._infos)  # a copy: the caller's to change

    @cached_property
    def _infos(self) -> dict[str, RuleInfo]:
        # Made once: a run asks for them several times, and each rule's docs are rendered.
        infos = {FILE_ERROR_CODE: FILE_ERROR_INFO}
        infos.update({code: rule.info() for code, rule in self.rules.items()})
        return dict(sorted(infos.items()))

    def cst_rules(self, codes: frozenset[str]) -> tuple[type[Rule], ...]:
        """The per-file rules (`NodeRule`, `CstRule`): every rule that is not a ProjectRule."""
        return tuple(r for c, r in self.rules.items() if c in codes and not issubclass(r, ProjectRule))

    def project_rules(self, codes: frozenset[str]) -> tuple[type[ProjectRule], ...]:
        return tuple(r for c, r in self.rules.items() if c in codes and issubclass(r, ProjectRule))


def _is_runnable(rule: type[Rule]) -> bool:
    if issubclass(rule, ProjectRule):
        return True
    from prunelint.rules.cst_rule import CstRule
    from prunelint.rules.node_rule import NodeRule

    return issubclass(rule, (CstRule, NodeRule))


def plugin_manager() -> "pluggy.PluginManager":
    import pluggy

    from prunelint import rules as builtin
    from prunelint.plugins import hookspecs

    hookspecs.hookimpl(builtin.prunelint_rules)  # marked here: see the module's docstring
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


def _load_entry_points(manager: "pluggy.PluginManager", entries: list[tuple[str, str]]) -> None:
    """pluggy's `load_setuptools_entrypoints`, without importing importlib.metadata
    (prunelint/plugins/entry_points.py)."""
    for name, value in entries:
        if manager.get_plugin(name) is None and not manager.is_blocked(name):
            manager.register(load(value), name=name)


def load_rules(manager: "pluggy.PluginManager | None" = None) -> RuleSet:
    """Every rule from the `prunelint` entry points (and any plugin registered on `manager`)."""
    if manager is None:
        from prunelint import rules as builtin

        try:
            entries = group_entry_points(PROJECT_NAME)
            if not all(value == BUILTIN_PLUGIN for _, value in entries):
                manager = plugin_manager()
                _load_entry_points(manager, entries)
        except Exception as exc:  # a broken third-party plugin must not look like our crash
            raise PluginError(f"failed to load a prunelint plugin: {type(exc).__name__}: {exc}") from None
        if manager is None:  # prunelint's own plugin alone (or none: a source tree never installed)
            return _rule_set([builtin.prunelint_rules()])
        if not manager.is_registered(builtin) and manager.get_plugin("builtin") is None:
            manager.register(builtin, name="builtin")
    return _rule_set(manager.hook.prunelint_rules())


def _rule_set(batches: Iterable[Iterable[object]]) -> RuleSet:
    """The rules the plugins' hooks returned, checked: runnable rule classes, one per code."""
    found: dict[str, type[Rule]] = {}
    for batch in batches:
        for rule in batch:
            if not (isinstance(rule, type) and issubclass(rule, Rule) and _is_runnable(rule)):
                raise PluginError(f"plugin rule {rule!r} is not a NodeRule, CstRule or ProjectRule subclass")
            code = getattr(rule, "CODE", None)
            if not isinstance(code, str) or not code[:1].isalpha() or code == FILE_ERROR_CODE:
                raise PluginError(f"plugin rule {rule.__name__} has an invalid CODE {code!r}")
            if code in found and found[code] is not rule:
                raise PluginError(f"two rules claim the code {code}: {found[code].__name__} and {rule.__name__}")
            found[code] = rule
    return RuleSet(dict(sorted(found.items())))
