"""Start-up stays lean: a run over a tree that never mentions Torch-Pruning loads the rules but
never parses a file, never starts worker processes, never imports torch, and never loads the
fixer (or difflib) that only --fix and --diff need, importlib.metadata (the entry points are
read without it), tempfile (only writes need it) or tomllib (an `--isolated` run reads no
configuration, and the API data is read from its JSON form), shutil (argparse asks it for the
terminal's width only to print help), pathspec (the default excludes are plain names, and the
tree has no .gitignore) or pluggy (no third-party plugin is installed); and reading code never
imports libcst, which only a third-party CstRule needs.

A fresh interpreter is needed: the test process itself has long since imported libcst.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

PROBE = textwrap.dedent(
    """
    import json, sys
    from prunelint.frontends.cli import main
    from prunelint.plugins.registry import load_rules

    rules = load_rules()
    code = main(sys.argv[1:])
    heavy = sorted(
        m for m in sys.modules
        if m.startswith(("libcst.", "torch", "multiprocessing", "concurrent.futures", "prunelint.engine.step", "prunelint.fix", "difflib", "importlib.metadata", "tempfile", "tomllib", "shutil", "pathspec", "pluggy"))
    )
    print(json.dumps({"rules": len(rules.rules), "code": code, "heavy": heavy}))
    """
)


def probe(tmp_path: Path, *argv: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def write_plain_tree(root: Path) -> None:
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    # What every training script says, and none of it can matter without Torch-Pruning.
    (root / "pkg" / "train.py").write_text(
        "import torch\n\n\ndef train(model, loader, epochs):\n"
        "    model = torch.compile(model)\n"
        "    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "    for x, y in loader:\n        optimizer.zero_grad()\n"
        "        torch.nn.functional.mse_loss(model(x), y).backward()\n        optimizer.step()\n"
        "    torch.save(model.state_dict(), 'model.pt')\n"
    )
    (root / "pkg" / "hf.py").write_text(
        "from transformers import AutoModel\n\nmodel = AutoModel.from_pretrained('bert-base-uncased')\n"
        "model.save_pretrained('out')\n"
    )
    (root / "notes.py").write_text("# pruning, in the gardening sense\nx = 1\n")


def test_a_tree_without_torch_pruning_is_never_parsed(tmp_path):
    write_plain_tree(tmp_path)
    for argv in ([], ["--no-cache"]):
        result = probe(tmp_path, "--isolated", "-q", *argv, ".")
        assert result["code"] == 0
        assert result["rules"] > 0
        # The cache is written through tempfile (which imports shutil); argparse's help
        # formatter would import shutil in every run (cli._Parser).
        writes = [] if "--no-cache" in argv else ["shutil", "tempfile"]
        assert result["heavy"] == writes, result["heavy"]
    # The first run above wrote its cache.
    assert (tmp_path / ".prunelint_cache").is_dir()


def test_the_probe_can_fail(tmp_path):
    """The same probe sees the per-file step once a file needs parsing, so the test above can fail."""
    write_plain_tree(tmp_path)
    (tmp_path / "prune.py").write_text("import torch_pruning as tp\n")
    result = probe(tmp_path, "--isolated", "-q", "--no-cache", ".")
    assert "prunelint.engine.step" in result["heavy"]
    (tmp_path / "pyproject.toml").write_text("[tool.prunelint]\nselect = ['PRL']\n")
    assert "tomllib" in probe(tmp_path, "-q", "--no-cache", ".")["heavy"]
    (tmp_path / ".gitignore").write_text("*.log\n")
    assert "pathspec" in probe(tmp_path, "-q", "--no-cache", ".")["heavy"]
    (tmp_path / ".gitignore").unlink()
    assert "pathspec" in probe(tmp_path, "--isolated", "-q", "--no-cache", "--extend-exclude", "gen*", ".")["heavy"]


PRUNED_UNDER_NO_GRAD = (
    "import torch\nimport torch_pruning as tp\n\nwith torch.no_grad():\n"
    "    pruner = tp.pruner.BasePruner(model, x, importance=imp)\n"
)


def test_reading_and_reporting_never_import_libcst(tmp_path):
    """CPython's parser reads every file, and checks a fixed file before it is written: a
    finding, its fix and the fixed file need no libcst."""
    (tmp_path / "prune.py").write_text(PRUNED_UNDER_NO_GRAD)
    for argv in ([], ["--output-format", "json"], ["--diff", "--unsafe-fixes"], ["--fix", "--unsafe-fixes"]):
        result = probe(tmp_path, "--isolated", "-q", "--no-cache", *argv, ".")
        assert result["code"] == (0 if "--fix" in argv else 1)
        assert "prunelint.engine.step" in result["heavy"]
        assert not [m for m in result["heavy"] if m.startswith("libcst.")], result["heavy"]


FREEZE_PROBE = textwrap.dedent(
    """
    import gc, os, sys
    from prunelint.frontends import cli
    entry = sys.argv.pop(1)
    sys.argv[1:] = ["check", "--isolated", "--no-cache", "-q", "."]
    hard_exit = os._exit

    def report(code):  # the command ends the process itself, once its output is out
        print(code, gc.get_freeze_count(), "exited")
        sys.stdout.flush()
        hard_exit(code)

    os._exit = report
    code = cli.console() if entry == "console" else cli.main()
    print(code, gc.get_freeze_count(), "returned")
    """
)


def test_only_the_command_freezes_what_start_up_made(tmp_path):
    """The `prunelint` command moves start-up's objects out of the collector's generations;
    `main`, as a library caller or a test calls it, leaves the process's heap alone."""
    write_plain_tree(tmp_path)
    counts = {}
    for entry in ("console", "main"):
        proc = subprocess.run([sys.executable, "-c", FREEZE_PROBE, entry], cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        code, frozen, how = proc.stdout.split()
        assert code == "0"
        counts[entry] = (int(frozen), how)
    assert counts["console"][0] > 0 and counts["main"][0] == 0
    # Under coverage.py the command returns, so that coverage can save its data at exit.
    assert counts["console"][1] == ("returned" if "coverage" in sys.modules else "exited")
    assert counts["main"][1] == "returned"
    scripts = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text("utf-8")
    assert 'prunelint = "prunelint.frontends.cli:console"' in scripts


DOCS_PROBE = textwrap.dedent(
    """
    import sys
    from prunelint.frontends.cli import main
    from prunelint.rules.base import Rule

    rendered = []
    docs = Rule.docs.__func__
    Rule.docs = classmethod(lambda cls: rendered.append(cls.CODE) or docs(cls))
    code = main(sys.argv[1:])
    print(code, len(rendered), file=sys.stderr)
    """
)


def test_a_run_renders_no_rule_page_and_prunelint_rule_does(tmp_path):
    """Every run takes every rule's info (to select rules, to name them in each format); only
    `prunelint rule` reads a page."""
    (tmp_path / "prune.py").write_text(PRUNED_UNDER_NO_GRAD)
    for argv, code, pages in (
        (["check", "--isolated", "--no-cache", "-q", "."], "1", "0"),
        (["check", "--isolated", "--no-cache", "-q", "--output-format", "json", "."], "1", "0"),
        (["rule", "PRL001"], "0", "1"),
    ):
        proc = subprocess.run([sys.executable, "-c", DOCS_PROBE, *argv], cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr.split()[-2:] == [code, pages], proc.stderr[-300:]
