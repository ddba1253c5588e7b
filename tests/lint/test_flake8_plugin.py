"""The flake8 plugin reports what the CLI reports, with flake8's 0-based columns."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from prunelint.frontends.flake8 import Plugin

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

pytest.importorskip("flake8")

FINDINGS = """\
import torch
import torch_pruning as tp

with torch.no_grad():
    pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)  # noqa: E501

torch.set_grad_enabled(False)
graph = tp.DependencyGraph().build_dependency(model, example_inputs)
silenced = tp.pruner.BasePruner(model, example_inputs)  # noqa: PRL001
"""
BUILDERS = """\
import torch_pruning as tp


def build_pruner(model, example_inputs):
    return tp.pruner.BasePruner(model, example_inputs, ignored_layers=[model.fc])
"""
CALLER = """\
import torch
from builders import build_pruner


@torch.no_grad()
def evaluate_and_prune(model, example_inputs):
    return build_pruner(model, example_inputs)
"""
CONFIG = """\
[tool.prunelint]
extend-select = ["PRL102"]
per-file-ignores = { "ignored.py" = ["PRL001"] }
"""
FLAKE8_LINE = re.compile(r"^(?P<file>[^:]+):(?P<row>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<message>.*)$")


def flake8(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def prunelint_json(cwd: Path, *files: str) -> list[dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "prunelint", "--output-format", "json", *files],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    (tmp_path / "findings.py").write_text(FINDINGS)
    (tmp_path / "builders.py").write_text(BUILDERS)
    (tmp_path / "caller.py").write_text(CALLER)
    (tmp_path / "ignored.py").write_text(FINDINGS)
    return tmp_path


FILES = ("findings.py", "builders.py", "caller.py", "ignored.py")


def test_flake8_reports_what_the_cli_reports(tree: Path) -> None:
    expected = set()
    for name in FILES:  # one file per run: flake8 sees one file at a time too
        for item in prunelint_json(tree, name):
            expected.add((name, item["location"]["row"], item["location"]["column"], item["code"], item["message"]))
    proc = flake8(tree, "--select", "PRL", *FILES)
    assert proc.stderr == ""
    found = set()
    for line in proc.stdout.splitlines():
        match = FLAKE8_LINE.match(line)
        assert match, line
        found.add((match["file"], int(match["row"]), int(match["col"]), match["code"], match["message"]))
    # flake8 prints its 0-based columns plus one, so the printed columns equal the CLI's.
    assert found == expected
    codes = sorted((f, c) for f, _, _, c, _ in found)
    # The cross-module builder, the config's opt-in rule and its per-file ignore all took effect.
    assert ("caller.py", "PRL001") in codes
    assert ("findings.py", "PRL102") in codes
    assert not any(f == "ignored.py" and c == "PRL001" for f, c in codes)
    assert proc.returncode == 1


def test_plugin_columns_are_zero_based(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    lines = FINDINGS.splitlines(True)
    results = list(Plugin(ast.parse(FINDINGS), "findings.py", lines).run())
    cli = prunelint_json(tree, "findings.py")
    assert [(row, col, text) for row, col, text, _ in results] == [
        (item["location"]["row"], item["location"]["column"] - 1, f"{item['code']} {item['message']}") for item in cli
    ]
    assert results and all(kind is Plugin for *_, kind in results)
    # Column 0 is where `tp.pruner.BasePruner(` starts on line 5, 4 spaces and `pruner = ` in.
    assert (5, 13) in [(row, col) for row, col, _, _ in results]


def test_notebooks_are_not_flake8_files(tmp_path: Path) -> None:
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": FINDINGS}
    (tmp_path / "nb.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}))
    proc = flake8(tmp_path, "--select", "PRL", ".")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_syntax_error_is_flake8s_e999_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import torch_pruning as tp\n\ndef broken(:\n    pass\n")
    proc = flake8(tmp_path, "--select", "PRL,E999", "broken.py")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and proc.stderr == ""
    assert [line.split(": ")[1].split()[0] for line in proc.stdout.splitlines()] == ["E999"]


def test_bad_configuration_is_a_finding_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.prunelint]\nselect = "PRL001"\n')
    (tmp_path / "a.py").write_text(FINDINGS)
    proc = flake8(tmp_path, "--select", "PRL", "a.py")
    assert proc.returncode == 1 and proc.stderr == ""
    assert proc.stdout.startswith("a.py:1:1: PRL000 prunelint configuration: ")
    assert "`select` must be a list of strings" in proc.stdout


def test_stdin(tree: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "PRL", "--stdin-display-name", "findings.py", "-"],
        cwd=tree,
        input=FINDINGS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert [line.split(": ")[0] for line in proc.stdout.splitlines()] == [
        f"findings.py:{item['location']['row']}:{item['location']['column']}"
        for item in prunelint_json(tree, "findings.py")
    ]


def test_entry_point_and_light_import(tmp_path: Path) -> None:
    # Declared in pyproject.toml, and found by flake8 through the installed metadata.
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text("utf-8"))
    assert pyproject["project"]["entry-points"]["flake8.extension"] == {"PRL": "prunelint.frontends.flake8:Plugin"}
    version = flake8(tmp_path, "--version").stdout
    assert f"prunelint: {importlib.metadata.version('prunelint')}" in version
    code = (
        "import sys, prunelint.frontends.flake8; "
        "print(sorted(m for m in ('flake8', 'libcst', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
