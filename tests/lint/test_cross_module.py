"""Calls across modules, also when only some files are linted (pre-commit passes staged files)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from prunelint.frontends.cli import main

CROSS = Path(__file__).resolve().parents[2] / "fixtures" / "prl001" / "crossmodule"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(CROSS, tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    return tmp_path / "repo"


def rows(output: str) -> list[str]:
    return [line.split(" ", 2)[0] + " " + line.split(" ", 2)[1] for line in output.splitlines() if " PRL" in line]


def test_a_named_file_follows_its_imports_into_unlinted_modules(tree: Path, capsys) -> None:
    assert main(["--isolated", "train.py"]) == 1
    out = capsys.readouterr().out
    assert rows(out) == [f"train.py:{r}:5: PRL001" for r in (12, 13, 14, 15, 16)]
    # Where the construction happens is in the details (`full`), not the concise line.
    assert main(["--isolated", "--output-format", "full", "train.py"]) == 1
    assert "pkg/builders.py:6" in capsys.readouterr().out
    # Findings inside the modules read for context are not reported.
    assert "pkg/sub/relative.py" not in out.replace("at pkg/sub", "")


def test_stdin_with_a_filename_follows_imports_too(tree: Path, capsys, monkeypatch) -> None:
    import io
    import sys

    data = (tree / "train.py").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["--isolated", "-", "--stdin-filename", "train.py"]) == 1
    assert len(rows(capsys.readouterr().out)) == 5


def test_a_walked_tree_needs_no_context_reading(tree: Path, capsys) -> None:
    assert main(["--isolated", "."]) == 1
    assert len(rows(capsys.readouterr().out)) == 5


def test_a_named_file_without_local_imports_is_not_parsed(tree: Path, capsys) -> None:
    (tree / "broken.py").write_text("import os\ndef (:\n", "utf-8")
    assert main(["--isolated", "broken.py"]) == 0  # cannot matter: never parsed
    (tree / "broken2.py").write_text("from pkg.builders import build_pruner\ndef (:\n", "utf-8")
    assert main(["--isolated", "broken2.py"]) == 1  # imports the tree: parsed, and reported
    assert "broken2.py:2:5: PRL000" in capsys.readouterr().out


def test_context_reading_stops_at_installed_packages(tree: Path, capsys) -> None:
    (tree / "uses_installed.py").write_text(
        textwrap.dedent(
            """
            import torch
            import json
            from pkg.builders import build_pruner

            @torch.no_grad()
            def f(m, x, imp):
                json.dumps({})
                return build_pruner(m, x, imp)
            """
        ),
        "utf-8",
    )
    assert main(["--isolated", "uses_installed.py"]) == 1
    assert rows(capsys.readouterr().out) == ["uses_installed.py:9:12: PRL001"]
