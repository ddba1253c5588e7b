"""Rules as pluggy plugins: the built-ins come through the entry point, third parties the same way."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from importlib.metadata import entry_points
from types import ModuleType

import libcst as cst
import pytest

from prunelint.settings.apidata import load_api_data
from prunelint.settings.config import Settings
from prunelint.engine.run import LintOptions, finalize, lint_sources
from prunelint.plugins.hookspecs import hookimpl
from prunelint.plugins.registry import PluginError, load_rules, plugin_manager
from prunelint.rules.base import Invalid
from prunelint.rules.cst_rule import CstRule
from prunelint.rules.node_rule import NodeRule
from prunelint.io.source import Source


class DirectPruneCall(CstRule):
    """Low-level pruning functions skip the dependency graph."""

    CODE = "XYZ001"
    NAME = "direct-prune-function"
    MESSAGE = "prune coupled layers through a DependencyGraph group"
    PREFILTER_WORDS = ("prune_conv_out_channels",)
    VALID = ["group.prune()\n"]
    INVALID = [Invalid("tp.prune_conv_out_channels(conv, idxs=[0])\n", line=1)]

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "prune_conv_out_channels":
            self.report(node)


def _plugin(*rules: type) -> ModuleType:
    module = ModuleType("third_party_rules")

    @hookimpl
    def prunelint_rules():
        return list(rules)

    module.prunelint_rules = prunelint_rules  # type: ignore[attr-defined]
    return module


def _readme_example() -> ModuleType:
    """The README's rule plugin, as written there."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    start = readme.index("```python\n# my_package/prunelint_rules.py")
    code = readme[start + len("```python\n") : readme.index("```", start + 10)]
    module = ModuleType("my_package.prunelint_rules")
    exec(compile(code, "README.md", "exec"), module.__dict__)
    return module


def test_the_readme_plugin_example_runs_on_its_own_examples() -> None:
    manager = plugin_manager()
    module = _readme_example()
    manager.register(module)
    rules = load_rules(manager)
    rule = rules.rules["XYZ001"]
    options = LintOptions(Settings(), rules, frozenset({"XYZ001"}), load_api_data())
    for example in rule.INVALID:
        found = finalize(lint_sources([Source("a.py", "/v/a.py", example.source)], options), options, {"a.py": example.source})
        assert [(d.code, d.location.row) for d in found] == [("XYZ001", example.line)]
    for valid in rule.VALID:
        assert finalize(lint_sources([Source("a.py", "/v/a.py", valid)], options), options, {"a.py": valid}) == []


def test_builtin_rules_are_an_entry_point_plugin() -> None:
    names = {ep.value for ep in entry_points(group="prunelint")}
    assert "prunelint.rules" in names
    assert "PRL001" in load_rules().rules


def test_third_party_cst_rule_runs_in_the_shared_pass() -> None:
    manager = plugin_manager()
    manager.register(_plugin(DirectPruneCall))
    rules = load_rules(manager)
    text = textwrap.dedent(
        """
        import torch_pruning as tp
        x = 1
        tp.prune_conv_out_channels(model.conv, idxs=[0, 1])
        """
    )
    options = LintOptions(Settings(), rules, frozenset({"XYZ001"}), load_api_data())
    found = finalize(lint_sources([Source("a.py", "/v/a.py", text)], options), options, {"a.py": text})
    assert [(d.code, d.location.row, d.location.column, d.end_location.column) for d in found] == [
        ("XYZ001", 4, 1, 52)
    ]


class CallInReturn(CstRule):
    """Reads libcst metadata: the engine's own walk must still resolve a plugin's providers."""

    from libcst.metadata import ParentNodeProvider

    CODE = "XYZ002"
    NAME = "prune-call-returned"
    MESSAGE = "returned straight from a prune call"
    PREFILTER_WORDS = ("prune_conv_out_channels",)
    METADATA_DEPENDENCIES = (ParentNodeProvider,)
    VALID = ["x = tp.prune_conv_out_channels(c, idxs=[0])\n"]
    INVALID = [Invalid("def f():\n    return tp.prune_conv_out_channels(c, idxs=[0])\n", line=2)]

    def visit_Call(self, node: cst.Call) -> None:
        from libcst.metadata import ParentNodeProvider

        if isinstance(self.get_metadata(ParentNodeProvider, node), cst.Return):
            self.report(node)


class TodoComment(CstRule):
    """Visits comments, which the engine's walk skips unless a rule asks for them."""

    CODE = "XYZ003"
    NAME = "prune-todo"
    MESSAGE = "a pruning TODO"
    PREFILTER_WORDS = ("prune_conv_out_channels",)
    VALID = ["x = 1  # fine\n"]
    INVALID = [Invalid("x = 1  # TODO prune\n", line=1)]

    def visit_Comment(self, node: cst.Comment) -> None:
        if "TODO" in node.value:
            self.report(node)


@pytest.mark.parametrize("rule", [CallInReturn, TodoComment], ids=lambda r: r.CODE)
def test_third_party_rules_with_metadata_or_trivia(rule: type[CstRule]) -> None:
    manager = plugin_manager()
    manager.register(_plugin(rule))
    options = LintOptions(Settings(), load_rules(manager), frozenset({rule.CODE}), load_api_data())
    text = "import torch_pruning as tp\n\ndef f(c):  # TODO prune less\n    return tp.prune_conv_out_channels(c, idxs=[0])\n"
    found = finalize(lint_sources([Source("a.py", "/v/a.py", text)], options), options, {"a.py": text})
    expected = {"XYZ002": [(4, 12)], "XYZ003": [(3, 12)]}[rule.CODE]
    assert [(d.location.row, d.location.column) for d in found] == expected


def test_plugin_prefilter_words_decide_which_files_are_parsed() -> None:
    manager = plugin_manager()
    manager.register(_plugin(DirectPruneCall))
    rules = load_rules(manager)
    options = LintOptions(Settings(), rules, frozenset({"XYZ001"}), load_api_data())
    # No prefilter word: never parsed, so even a syntax error goes unreported.
    broken = Source("b.py", "/v/b.py", "def (:\n")
    assert lint_sources([broken], options) == []
    mentioned = Source("c.py", "/v/c.py", "prune_conv_out_channels(\n")
    assert [d.code for d in lint_sources([mentioned], options)] == ["PRL000"]


def test_duplicate_codes_are_a_clear_error() -> None:
    class Clash(DirectPruneCall):
        pass

    manager = plugin_manager()
    manager.register(_plugin(DirectPruneCall, Clash))
    with pytest.raises(PluginError, match="two rules claim the code XYZ001"):
        load_rules(manager)


def test_a_plugin_returning_garbage_is_a_clear_error() -> None:
    manager = plugin_manager()
    manager.register(_plugin(object))
    with pytest.raises(PluginError, match="not a NodeRule, CstRule or ProjectRule"):
        load_rules(manager)


class ReportsEveryModule(NodeRule):
    """Reports every module it is run on: shows which files a rule runs on."""

    CODE = "XYZ003"
    NAME = "every-module"
    MESSAGE = "ran here"
    PREFILTER_WORDS = ("zzz_marker",)
    VALID = ["x = 1\n"]
    INVALID = [Invalid("zzz_marker = 1\n", line=1)]

    def visit_Module(self, node) -> None:
        self.report(node.body[0])


def test_a_rule_runs_only_on_files_with_its_words_unless_the_prefilter_is_off() -> None:
    """A file another rule's words made the run parse is not handed to a rule whose own words
    it lacks (the prefilter's promise, per rule); without the prefilter every rule sees it."""
    manager = plugin_manager()
    manager.register(_plugin(ReportsEveryModule))
    rules = load_rules(manager)
    sources = [
        Source("a.py", "/v/a.py", "import torch_pruning as tp\n"),
        Source("b.py", "/v/b.py", "zzz_marker = 1\n"),
    ]
    texts = {s.filename: s.text for s in sources}
    codes = frozenset({"XYZ003", "PRL102"})
    for prefilter, expected in ((True, ["b.py"]), (False, ["a.py", "b.py"])):
        options = LintOptions(Settings(), rules, codes, load_api_data(), prefilter=prefilter)
        found = finalize(lint_sources(sources, options), options, texts)
        assert sorted(d.filename for d in found if d.code == "XYZ003") == expected


class PrunerCallOrder(NodeRule):
    """Reports each pruner construction with its class, and what its own `visit_Call` saw of
    the same call first."""

    CODE = "XYZ004"
    NAME = "pruner-call-order"
    MESSAGE = "{cls} after {seen}"
    PREFILTER_WORDS = ("torch_pruning",)
    VALID = ["import torch_pruning as tp\ntp.DependencyGraph()\n"]
    INVALID = [Invalid("import torch_pruning as tp\np = tp.pruner.MetaPruner(m, x)\n", line=2)]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._calls: list[ast.Call] = []

    def visit_Call(self, node: ast.Call) -> None:
        self._calls.append(node)

    def on_pruner_call(self, node: ast.Call, cls: str) -> None:
        seen = "its own visit" if self._calls and self._calls[-1] is node else "no visit"
        self.report(node, self.MESSAGE.format(cls=cls, seen=seen))


def test_a_rule_is_told_of_each_pruner_construction_after_its_own_visit_of_the_call() -> None:
    """`on_pruner_call` gets every construction the import names resolve (an alias by its
    class), nothing else, after the rule's `visit_Call` of it."""
    manager = plugin_manager()
    manager.register(_plugin(PrunerCallOrder))
    rules = load_rules(manager)
    text = textwrap.dedent(
        """\
        import torch_pruning as tp
        from torch_pruning.pruner import GroupNormPruner as G
        a = tp.pruner.MetaPruner(model, x)
        b = G(model, x, importance=tp.importance.GroupMagnitudeImportance())
        c = make(tp.pruner.BasePruner)
        d = other.pruner.BasePruner(model, x)
        """
    )
    options = LintOptions(Settings(), rules, frozenset({"XYZ004"}), load_api_data())
    found = finalize(lint_sources([Source("a.py", "/v/a.py", text)], options), options, {"a.py": text})
    assert [(d.location.row, d.message) for d in found] == [
        (3, "MetaPruner after its own visit"),
        (4, "GroupNormPruner after its own visit"),
    ]
