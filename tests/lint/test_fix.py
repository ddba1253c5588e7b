"""`--fix`, `--unsafe-fixes` and `--diff`: what they change, and that they never corrupt a file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import libcst
import pytest

from prunelint.diagnostics import Diagnostic, Edit, Fix, Position
from prunelint.fix.fixer import fix_sources, fix_text
from prunelint.io.source import Source

DEPRECATED = """\
import torch_pruning as tp
from torch_pruning.pruner import MetaPruner

pruner = MetaPruner(model, example_inputs, importance=imp, ch_sparsity=0.5)
other = tp.pruner.MagnitudePruner(model, example_inputs, importance=imp, ch_sparsity_dict={model.fc: 0.1})
"""
DEPRECATED_FIXED = """\
import torch_pruning as tp
from torch_pruning.pruner import BasePruner

pruner = BasePruner(model, example_inputs, importance=imp, pruning_ratio=0.5)
other = tp.pruner.BasePruner(model, example_inputs, importance=imp, pruning_ratio_dict={model.fc: 0.1})
"""
NO_GRAD = """\
import torch
import torch_pruning as tp

with torch.no_grad():
    pruner = tp.pruner.BasePruner(
        model, example_inputs, importance=imp,
    )
    pruner.step()
"""
NO_GRAD_FIXED = """\
import torch
import torch_pruning as tp

with torch.no_grad():
    with torch.enable_grad():
        pruner = tp.pruner.BasePruner(
            model, example_inputs, importance=imp,
        )
    pruner.step()
"""


def _parses(text: str) -> None:
    compile(text, "<fixed>", "exec")
    libcst.parse_module(text)


# -- PRL901: the safe fix -------------------------------------------------------------------------


def test_fix_rewrites_deprecated_api_and_the_result_parses(lint, write):
    path = write("a.py", DEPRECATED)
    result = lint("--fix", "a.py")
    assert path.read_text("utf-8") == DEPRECATED_FIXED
    _parses(path.read_text("utf-8"))
    assert result.code == 0
    assert result.lines() == ["Found 4 errors (4 fixed, 0 remaining)."]


def test_second_fix_changes_nothing(lint, write):
    path = write("a.py", DEPRECATED + NO_GRAD)
    lint("--fix", "--unsafe-fixes", "a.py")
    once = path.read_bytes()
    result = lint("--fix", "--unsafe-fixes", "a.py")
    assert path.read_bytes() == once
    assert "fixed" not in result.out


def test_fixable_findings_are_marked_and_counted(lint, write):
    write("a.py", DEPRECATED)
    result = lint("a.py")
    assert result.code == 1
    assert all(" PRL901 [*] " in line for line in result.lines()[:-2])
    assert result.lines()[-2:] == ["Found 4 errors.", "[*] 4 fixable with `--fix`."]


def test_import_rename_keeps_every_use_consistent(lint, write):
    source = (
        "from torch_pruning.pruner import MetaPruner\n"
        "class Mine(MetaPruner):\n"
        "    pass\n"
        "def build(model, x):\n"
        "    return MetaPruner(model, x, importance=imp), isinstance(model, MetaPruner)\n"
    )
    path = write("a.py", source)
    lint("--fix", "a.py")
    fixed = path.read_text("utf-8")
    assert "MetaPruner" not in fixed
    assert fixed.count("BasePruner") == 4
    _parses(fixed)


@pytest.mark.parametrize(
    "source",
    [
        # BasePruner already means something here: renaming the uses would change what they are.
        "from torch_pruning.pruner import MetaPruner\nfrom mylib import BasePruner\np = MetaPruner(m, x, importance=i)\n",
        # Re-exported by name: importers of this module would break.
        "from torch_pruning.pruner import MetaPruner\n__all__ = ['MetaPruner']\n",
        # A parameter shadows the name in one function.
        "from torch_pruning.pruner import MetaPruner\ndef f(MetaPruner):\n    return MetaPruner\np = MetaPruner(m, x, importance=i)\n",
    ],
)
def test_import_rename_is_not_offered_where_unsafe(lint, write, source):
    path = write("a.py", source)
    result = lint("--fix", "--unsafe-fixes", "a.py")
    assert path.read_text("utf-8") == source
    assert "a.py:1:34: PRL901 `MetaPruner`" in result.out


def test_keyword_rename_is_not_offered_where_it_would_collide(lint, write):
    source = (
        "import torch_pruning as tp\n"
        "p = tp.pruner.BasePruner(m, x, importance=i, ch_sparsity=0.5, pruning_ratio=0.2)\n"
        "q = tp.pruner.BasePruner(m, x, importance=i, ch_sparsity=0.5, **options)\n"
    )
    path = write("a.py", source)
    result = lint("--fix", "--unsafe-fixes", "a.py")
    assert path.read_text("utf-8") == source
    assert result.code == 1


def test_channel_groups_fix_is_unsafe_for_a_caller_owned_dict(lint, write):
    source = "import torch_pruning as tp\np = tp.pruner.BasePruner(m, x, importance=i, channel_groups=groups)\n"
    path = write("a.py", source)
    assert "1 unsafe fix available with `--fix --unsafe-fixes`" in lint("a.py").out
    lint("--fix", "a.py")
    assert path.read_text("utf-8") == source
    lint("--fix", "--unsafe-fixes", "a.py")
    assert "out_channel_groups=groups" in path.read_text("utf-8")


# -- PRL001: the unsafe fix -----------------------------------------------------------------------


def test_prl001_fix_only_with_unsafe_fixes(lint, write):
    path = write("a.py", NO_GRAD)
    result = lint("--fix", "a.py")
    assert path.read_text("utf-8") == NO_GRAD
    assert result.code == 1
    assert "1 unsafe fix available with `--fix --unsafe-fixes`." in result.out
    result = lint("--unsafe-fixes", "a.py")
    assert " PRL001 [*] " in result.out
    result = lint("--fix", "--unsafe-fixes", "a.py")
    assert path.read_text("utf-8") == NO_GRAD_FIXED
    assert result.code == 0
    assert lint("a.py").out == "All checks passed!\n"


def test_prl001_fix_leaves_inference_mode(lint, write):
    source = (
        "import torch\nimport torch_pruning as tp\n\n"
        "@torch.inference_mode()\n"
        "def prune(model, x):\n"
        "    DG = tp.DependencyGraph().build_dependency(model, example_inputs=x)\n"
    )
    path = write("a.py", source)
    lint("--fix", "--unsafe-fixes", "a.py")
    fixed = path.read_text("utf-8")
    assert "    with torch.inference_mode(False):\n        DG = tp.DependencyGraph()" in fixed
    _parses(fixed)
    assert lint("a.py").code == 0


@pytest.mark.parametrize(
    "source",
    [
        # torch is not imported as `torch`.
        "import torch as T\nimport torch_pruning as tp\nwith T.no_grad():\n    p = tp.pruner.BasePruner(m, x, importance=i)\n",
        # The construction is part of a larger expression.
        "import torch\nimport torch_pruning as tp\nwith torch.no_grad():\n    print(tp.pruner.BasePruner(m, x, importance=i))\n",
        # Not alone on its line.
        "import torch\nimport torch_pruning as tp\nwith torch.no_grad():\n    p = tp.pruner.BasePruner(m, x, importance=i); q = 1\n",
        # A multi-line string inside would be re-indented.
        'import torch\nimport torch_pruning as tp\nwith torch.no_grad():\n    p = tp.pruner.BasePruner(m, x, importance=i, note="""a\nb""")\n',
    ],
)
def test_prl001_fix_not_offered_where_unclear(lint, write, source):
    path = write("a.py", source)
    result = lint("--fix", "--unsafe-fixes", "a.py")
    assert path.read_text("utf-8") == source
    assert "PRL001" in result.out and result.code == 1


# -- file safety ----------------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_fix_keeps_line_endings(lint, write, newline):
    path = write("a.py", (DEPRECATED + NO_GRAD).replace("\n", newline))
    lint("--fix", "--unsafe-fixes", "a.py")
    data = path.read_bytes().decode("utf-8")
    assert "MetaPruner" not in data and "with torch.enable_grad():" in data
    other_breaks = data.replace(newline, "")
    assert "\r" not in other_breaks and "\n" not in other_breaks
    assert data.count(newline) == (DEPRECATED + NO_GRAD).count("\n") + 1  # the `with` line


def test_fix_keeps_bom(lint, write):
    path = write("a.py", b"\xef\xbb\xbf" + DEPRECATED.encode("utf-8"))
    lint("--fix", "a.py")
    assert path.read_bytes() == b"\xef\xbb\xbf" + DEPRECATED_FIXED.encode("utf-8")


def test_fix_keeps_pep263_encoding(lint, write):
    text = "# -*- coding: latin-1 -*-\n# Gewichtsmagnitude: größte\n" + DEPRECATED
    path = write("a.py", text.encode("latin-1"))
    lint("--fix", "a.py")
    expected = "# -*- coding: latin-1 -*-\n# Gewichtsmagnitude: größte\n" + DEPRECATED_FIXED
    assert path.read_bytes() == expected.encode("latin-1")


def test_fix_keeps_file_mode(lint, write):
    path = write("a.py", DEPRECATED)
    os.chmod(path, 0o751)
    lint("--fix", "a.py")
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert path.read_text("utf-8") == DEPRECATED_FIXED


def test_fix_through_a_symlink_keeps_the_link(lint, write, tmp_path):
    target = write("real/a.py", DEPRECATED)
    link = tmp_path / "link.py"
    link.symlink_to(target)
    lint("--fix", "link.py")
    assert link.is_symlink()
    assert target.read_text("utf-8") == DEPRECATED_FIXED


def test_write_is_atomic_temp_file_in_the_same_folder(lint, write, tmp_path, monkeypatch):
    path = write("pkg/a.py", DEPRECATED)
    calls = []
    real_replace = os.replace

    def recording_replace(src, dst):
        calls.append((os.fspath(src), os.fspath(dst)))
        assert Path(src).read_text("utf-8") == DEPRECATED_FIXED  # complete before the rename
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", recording_replace)
    lint("--fix", "pkg/a.py")
    assert len(calls) == 1
    src, dst = calls[0]
    assert os.path.dirname(src) == os.path.dirname(dst) == str(path.parent)
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.py"]  # no temp file left


def test_a_failed_rename_leaves_the_file_and_no_temp(lint, write, monkeypatch):
    path = write("a.py", DEPRECATED)

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    result = lint("--fix", "a.py")
    assert path.read_text("utf-8") == DEPRECATED
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.py"]
    assert result.code == 1
    assert "a.py: not written: No space left on device" in result.err


def test_diff_writes_nothing_and_exits_1(lint, write):
    path = write("a.py", DEPRECATED)
    before = path.stat().st_mtime_ns
    result = lint("--diff", "a.py")
    assert result.code == 1
    assert result.out.startswith("--- a.py\n+++ a.py\n@@ ")
    assert "-from torch_pruning.pruner import MetaPruner\n+from torch_pruning.pruner import BasePruner\n" in result.out
    assert result.err == "Would fix 4 errors.\n"
    assert path.read_text("utf-8") == DEPRECATED
    assert path.stat().st_mtime_ns == before


def test_diff_with_nothing_to_fix_exits_0(lint, write):
    write("a.py", NO_GRAD)
    result = lint("--diff", "a.py")
    assert result.code == 0
    assert result.out == ""
    assert result.err == "No errors would be fixed (1 fix available with `--unsafe-fixes`).\n"


def test_exit_code_is_1_while_findings_remain(lint, write):
    write("a.py", DEPRECATED)
    write("b.py", NO_GRAD)
    result = lint("--fix", ".")
    assert result.code == 1
    assert "Found 5 errors (4 fixed, 1 remaining)." in result.lines()


def test_stdin_fix_prints_the_fixed_source(lint):
    result = lint("--fix", "-", stdin=DEPRECATED.encode("utf-8"))
    assert result.out == DEPRECATED_FIXED
    assert "Found 4 errors (4 fixed, 0 remaining)." in result.err
    assert result.code == 0


def test_notebooks_are_never_rewritten(lint, write):
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": DEPRECATED}]
    notebook = {"cells": cells, "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    path = write("prune.ipynb", json.dumps(notebook, indent=1))
    before = path.read_bytes()
    result = lint("--fix", "prune.ipynb")
    assert path.read_bytes() == before
    assert "prune.ipynb: not fixed: `--fix` never rewrites notebooks" in result.err
    assert result.code == 1


# -- the fixer itself -----------------------------------------------------------------------------


def _finding(row: int, column: int, end: int, content: str, code: str = "X1") -> Diagnostic:
    fix = Fix("replace", (Edit(content, Position(row, column), Position(row, end)),))
    return Diagnostic(code, f"finding at {row}:{column}", "m.py", Position(row, column), Position(row, end), fix)


def test_a_fix_that_breaks_the_file_is_dropped_and_the_others_apply():
    text = "a = 1\nb = 2\nc = 3\n"
    good_first = _finding(1, 5, 6, "10")
    broken = _finding(2, 1, 2, "def (")
    good_last = _finding(3, 5, 6, "30")
    fixed, applied, failures = fix_text(text, [good_first, broken, good_last], unsafe=False)
    assert fixed == "a = 10\nb = 2\nc = 30\n"
    assert applied == [good_first, good_last]
    assert [(f.code, f.location) for f in failures] == [("X1", Position(2, 1))]
    assert "would not parse" in failures[0].describe()


def test_overlapping_fixes_wait_for_the_next_pass_and_passes_are_bounded():
    # A lint that always offers the same overlapping pair: each pass applies one, never both.
    calls = []

    def lint(sources):
        calls.append(sources[0].text)
        text = sources[0].text
        if text.startswith("x"):
            return []
        return [_finding(1, 1, 2, "x"), _finding(1, 1, 3, "yy")]

    run = fix_sources([Source("m.py", "m.py", "ab = 1\n")], lint, unsafe=False)
    assert run.fixed_texts == {"m.py": "xb = 1\n"}
    assert run.fixed_count == 1
    assert len(calls) == 2  # fixed, then clean: stable

    def endless(sources):  # a fix that never settles the finding
        return [_finding(1, 1, 2, sources[0].text[0] + "a")]

    run = fix_sources([Source("m.py", "m.py", "a = 1\n")], endless, unsafe=False)
    assert run.fixed_count == 10  # MAX_PASSES, then it stops


def test_unwrapped_parameters_fix_keeps_each_parameter_as_written(lint, write):
    """PRL108's dict-to-list fix writes each key and value as written: a message's shortened,
    one-line code would cut a long key to `...` (and the fix would be refused) and rewrite the
    blanks inside a string."""
    key = "model.encoder.layers[0].attention.self_attention.relative_position_bias_table"
    source = (
        "import torch_pruning as tp\n"
        f"p = tp.pruner.MetaPruner(model, x, importance=imp, unwrapped_parameters={{{key}: 0, model.cls_token: 'a  b'}})\n"
    )
    path = write("a.py", source)
    result = lint("--fix", "--unsafe-fixes", "--select", "PRL108", "a.py")
    assert path.read_text("utf-8") == source.replace(
        f"{{{key}: 0, model.cls_token: 'a  b'}}", f"[({key}, 0), (model.cls_token, 'a  b')]"
    )
    assert "not applied" not in result.err
