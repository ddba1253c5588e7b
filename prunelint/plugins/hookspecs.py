"""The hooks a prunelint plugin implements. The built-in rules use them too.

A plugin is a module (or object) with `@hookimpl`-marked functions, registered through the
`prunelint` entry point group:

    [project.entry-points.prunelint]
    my_rules = "my_package.prunelint_rules"
"""

from __future__ import annotations

import pluggy

from prunelint.plugins import PROJECT_NAME

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def prunelint_rules() -> "list[type]":  # type: ignore[empty-body]
    """Return the rule classes this plugin provides (subclasses of `prunelint.rules.base.Rule`)."""
