"""The entry points that prunelint reads itself are those importlib.metadata finds: in this
environment, and in made-up `sys.path`s with the cases its search has (a distribution twice,
egg-info, comments, a zip that only importlib.metadata can read)."""

from __future__ import annotations

import importlib.metadata
import sys
import zipfile
from pathlib import Path

import pytest

from prunelint.plugins import entry_points as ours
from prunelint.plugins.registry import PluginError, load_rules


def theirs(group: str) -> list[tuple[str, str]]:
    return [(ep.name, ep.value) for ep in importlib.metadata.entry_points(group=group)]


@pytest.mark.parametrize("group", ["prunelint", "console_scripts", "pytest11", "flake8.extension", "no-such-group"])
def test_the_installed_entry_points_are_importlib_metadatas(group: str) -> None:
    assert ours.group_entry_points(group) == theirs(group)


def dist(folder: Path, name: str, text: str | None) -> None:
    info = folder / name
    info.mkdir(parents=True)
    if text is not None:
        (info / "entry_points.txt").write_text(text, "utf-8")


def test_a_made_up_path(tmp_path: Path, monkeypatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    dist(first, "alpha_rules-1.0.dist-info", "[console_scripts]\nalpha = alpha:main\n\n[prunelint]\n# a comment\nalpha = alpha.rules\n")
    dist(first, "no_entry_points-2.0.dist-info", None)
    dist(first, "legacy.egg-info", "[prunelint]\n  legacy=legacy.plugin:Rules.all  \n")
    # The same distribution again, later on the path (names compare normalized): not read.
    dist(second, "Alpha.Rules-0.9.dist-info", "[prunelint]\nold_alpha = old.alpha\n")
    dist(second, "beta-3.dist-info", "[prunelint]\nbeta = beta:rules [extra]\n")
    (second / "notes.egg-info").write_text("not a folder")
    monkeypatch.setattr(sys, "path", [str(first), str(tmp_path / "missing"), str(second)])
    found = ours.group_entry_points("prunelint")
    assert found == theirs("prunelint")
    assert sorted(found) == [("alpha", "alpha.rules"), ("beta", "beta:rules [extra]"), ("legacy", "legacy.plugin:Rules.all")]


def test_a_zip_on_the_path_is_left_to_importlib_metadata(tmp_path: Path, monkeypatch) -> None:
    archive = tmp_path / "zipped.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("zipped-1.0.dist-info/entry_points.txt", "[prunelint]\nzipped = zipped.rules\n")
        handle.writestr("zipped-1.0.dist-info/METADATA", "Name: zipped\nVersion: 1.0\n")
    monkeypatch.setattr(sys, "path", [str(archive)])
    assert ours.group_entry_points("prunelint") == [("zipped", "zipped.rules")] == theirs("prunelint")


def test_load_follows_module_and_attributes(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "made_up_plugin.py").write_text("class Rules:\n    class Inner:\n        value = 42\n", "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert ours.load("made_up_plugin:Rules.Inner").value == 42
    assert ours.load("made_up_plugin").__name__ == "made_up_plugin"
    with pytest.raises(ValueError):
        ours.load("not a value!")


def test_a_broken_plugin_is_a_plugin_error(tmp_path: Path, monkeypatch) -> None:
    dist(tmp_path, "broken_rules-1.0.dist-info", "[prunelint]\nbroken = no_such_module_anywhere\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    with pytest.raises(PluginError, match="no_such_module_anywhere"):
        load_rules()


PLUGIN = '''
from prunelint.plugins.hookspecs import hookimpl
from prunelint.rules.node_rule import NodeRule


class MadeUp(NodeRule):
    """A third-party rule."""

    CODE = "XYZ900"
    NAME = "made-up"
    MESSAGE = "made up"


@hookimpl
def prunelint_rules():
    return [MadeUp]
'''


def test_a_third_party_distribution_adds_its_rules(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "made_up_rules.py").write_text(PLUGIN, "utf-8")
    dist(tmp_path, "made_up_rules-1.0.dist-info", "[prunelint]\nmade_up = made_up_rules\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    rules = load_rules().rules
    assert rules["XYZ900"].__name__ == "MadeUp"
    assert "PRL001" in rules


def test_without_a_third_party_plugin_the_rules_are_pluggys(tmp_path: Path, monkeypatch) -> None:
    """With prunelint's own entry point alone, its hook is called without pluggy: the rules are
    the ones a plugin manager with the built-in plugin gives."""
    from prunelint import rules as builtin
    from prunelint.plugins.registry import plugin_manager

    manager = plugin_manager()
    manager.register(builtin, name="builtin")
    through_pluggy = load_rules(manager).rules
    direct = load_rules().rules
    assert list(direct) == list(through_pluggy) and len(direct) > 10
    assert all(direct[code] is through_pluggy[code] for code in direct)
    # A second distribution that names only prunelint's own module is no third-party plugin.
    dist(tmp_path, "copy_of_prunelint-1.0.dist-info", "[prunelint]\nbuiltin = prunelint.rules\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    assert list(load_rules().rules) == list(direct)
