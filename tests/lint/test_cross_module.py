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


STAR_CHAIN = {
    "pkg/core.py": """
        import torch_pruning as tp

        def build(model, x):
            return tp.pruner.MagnitudePruner(model, x, importance=None)
        """,
    "pkg/a.py": "from .core import *\n",
    "pkg/b.py": "from .a import *\n",
    "pkg/__init__.py": "from .b import *\n",
    "train.py": """
        import torch
        import pkg

        def main(model, x):
            with torch.no_grad():
                return pkg.build(model, x)
        """,
}


def test_a_chain_of_star_re_exports_is_parsed_in_the_round_that_reaches_it(tmp_path: Path, monkeypatch) -> None:
    """Each link of `pkg/__init__ -> b -> a -> core` is found by its text with the module it
    star-imports, in one round, not in one round per link (each a rebuild of the project's
    facts); the findings are those of parsing every file."""
    from prunelint import api
    from prunelint.engine import run

    for name, text in STAR_CHAIN.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text), "utf-8")
    rounds: list[list[str]] = []
    analyse_all = run._analyse_all

    def counted(sources, *args, **kwargs):
        rounds.append(sorted(s.filename for s in sources))
        return analyse_all(sources, *args, **kwargs)

    monkeypatch.setattr(run, "_analyse_all", counted)

    def findings(prefilter: bool) -> list[tuple[str, int, str]]:
        options = api.find_options(tmp_path, prefilter=prefilter)
        return [(d.filename, d.location.row, d.code) for d in api.check_paths([str(tmp_path)], options).diagnostics]

    everything = findings(prefilter=False)
    rounds.clear()
    assert findings(prefilter=True) == everything
    assert [row for name, row, code in everything if code == "PRL001" and name.endswith("train.py")] == [7]
    # The first round parses what mentions torch_pruning and the star chain tied to it; a
    # second adds train.py, which calls through the chain's head.
    assert len(rounds) == 2, rounds
    assert rounds[0] == sorted(str(tmp_path / n) for n in ("pkg/core.py", "pkg/a.py", "pkg/b.py", "pkg/__init__.py"))
