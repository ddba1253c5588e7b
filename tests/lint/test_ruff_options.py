"""ruff's options, in prunelint: --show-fixes, --add-noqa, --fix-only, --ignore-noqa,
--exit-non-zero-on-fix, --extend-per-file-ignores, --show-files, --show-settings, --watch,
`rule` by name and as JSON, --statistics with its mark and JSON, PRL800 (unused noqa); and the
wording and position of findings."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from tests.lint.conftest import FINDING

DEPRECATED = "import torch_pruning as tp\npruner = tp.pruner.BasePruner(model, x, importance=imp, ch_sparsity=0.5)\n"
FIXED = "import torch_pruning as tp\npruner = tp.pruner.BasePruner(model, x, importance=imp, pruning_ratio=0.5)\n"


def test_help_shows_check_and_rule(lint):
    out = lint("--help").out
    assert out.startswith("usage: prunelint [check]") and "  check " in out and "  rule " in out


def test_show_fixes_lists_what_was_fixed(lint, write):
    write("d.py", DEPRECATED)
    result = lint("--fix", "--show-fixes", "d.py")
    assert result.code == 0
    assert result.out == (
        "\nFixed 1 error:\n- d.py:\n    1 × PRL901 (deprecated-api)\n\n"
        "Found 1 error (1 fixed, 0 remaining).\n"
    )


def test_fix_only_reports_nothing_else_and_exits_0(lint, write, tmp_path):
    write("d.py", DEPRECATED + FINDING)
    result = lint("--fix-only", "d.py")
    assert (result.code, result.out) == (0, "Fixed 1 error.\n")
    assert (tmp_path / "d.py").read_text().startswith(FIXED)


def test_exit_non_zero_on_fix(lint, write):
    write("d.py", DEPRECATED)
    assert lint("--fix", "--exit-non-zero-on-fix", "d.py").code == 1
    write("d.py", DEPRECATED)
    assert lint("--fix-only", "--exit-non-zero-on-fix", "d.py").code == 1
    assert lint("--fix-only", "--exit-non-zero-on-fix", "d.py").code == 0  # nothing left to fix


def test_add_noqa_then_clean(lint, write, tmp_path):
    write("a.py", FINDING.replace("imp)", "imp)  # keep: E501"))
    write("b.py", FINDING.replace("imp)", "imp)  # noqa: E501"))
    result = lint("--add-noqa", ".")
    assert result.code == 0 and result.err == "Added 2 noqa directives.\n"
    assert "imp)  # keep: E501  # noqa: PRL001\n" in (tmp_path / "a.py").read_text()
    assert "imp)  # noqa: E501, PRL001\n" in (tmp_path / "b.py").read_text()
    assert lint(".").code == 0
    assert lint("--add-noqa", ".").err == "Added 0 noqa directives.\n"


def test_ignore_noqa(lint, write):
    write("a.py", FINDING.replace("imp)", "imp)  # noqa: PRL001"))
    assert lint("a.py").code == 0
    assert lint("--ignore-noqa", "a.py").locations() == ["a.py:5:14 PRL001"]


def test_extend_per_file_ignores(lint, write):
    write("tests/a.py")
    write("src/a.py")
    result = lint("--extend-per-file-ignores", "tests/*:PRL001", ".")
    assert result.locations() == ["src/a.py:5:14 PRL001"]
    assert lint("--extend-per-file-ignores", "no-codes", ".").code == 2


def test_show_files_and_settings(lint, write, tmp_path):
    write("a.py")
    write("b.ipynb", "{}")
    write(".venv/x.py")
    result = lint("--show-files")
    assert result.code == 0
    assert result.lines() == [os.path.join(str(tmp_path), "a.py"), os.path.join(str(tmp_path), "b.ipynb")]
    settings = lint("--show-settings", "--extend-select", "PRL102").out
    assert "output-format = \"concise\"" in settings and "exclude = [" in settings


def test_watch_lints_again_on_a_change(lint, write, tmp_path):
    write("a.py", "import torch_pruning as tp\n")

    def change() -> None:
        time.sleep(0.6)
        (tmp_path / "a.py").write_text(FINDING)

    threading.Thread(target=change).start()
    result = lint("--watch", "--watch-runs", "2", "--watch-interval", "0.05", "a.py")
    assert result.code == 1
    assert result.out.startswith("All checks passed!\n")
    assert "a.py:5:14: PRL001" in result.out
    assert "Starting linter in watch mode" in result.err and "File change detected" in result.err


def test_rule_by_name_and_as_json(lint):
    by_name = lint("rule", "grad-disabled-tracing")
    assert by_name.code == 0 and by_name.out == lint("rule", "PRL001").out
    item = json.loads(lint("rule", "ignored-layers-not-modules", "--output-format", "json").out)
    assert item["code"] == "PRL101" and item["name"] == "ignored-layers-not-modules"
    assert item["url"].endswith("docs/rules/PRL101.md") and item["fix"] == "Fix is not available."
    everything = json.loads(lint("rule", "--all", "--output-format", "json").out)
    assert {i["code"] for i in everything} >= {"PRL000", "PRL001", "PRL800"}
    assert lint("rule", "no-such-rule").code == 2


def test_statistics_mark_and_json(lint, write):
    write("d.py", DEPRECATED + FINDING)
    rows = [line for line in lint("--statistics", "d.py").lines() if "\t" in line]
    assert rows == ["1\tPRL001\t[ ] grad-disabled-tracing", "1\tPRL901\t[*] deprecated-api"]
    items = json.loads(lint("--statistics", "--output-format", "json", "d.py").out)
    assert items[1] == {"code": "PRL901", "name": "deprecated-api", "count": 1, "fixable": True, "fixable_count": 1}


def test_unused_noqa_is_opt_in_and_fixed(lint, write, tmp_path):
    write("a.py", "import os  # noqa: F401, PRL102\nx = 1  # noqa: PRL001\ny = 2  # noqa\n")
    assert lint("a.py").code == 0  # opt-in
    result = lint("--extend-select", "PRL800", "a.py")
    assert result.locations() == ["a.py:1:12 PRL800", "a.py:2:8 PRL800"]
    assert "Unused `noqa` directive (unused: `PRL001`)." in result.out
    assert "(non-enabled: `PRL102`)" in result.out
    assert lint("--extend-select", "PRL800", "--fix", "a.py").code == 0
    assert (tmp_path / "a.py").read_text() == "import os  # noqa: F401\nx = 1\ny = 2  # noqa\n"


def test_used_noqa_is_not_reported(lint, write):
    write("a.py", FINDING.replace("imp)", "imp)  # noqa: PRL001"))
    assert lint("--extend-select", "PRL800", "a.py").code == 0


# -- findings that read at a glance ----------------------------------------------------------


def test_concise_is_the_first_sentence_and_full_the_rest(lint, write):
    write("a.py")
    concise = lint("a.py").lines()[0]
    assert concise.endswith("disabled by `with torch.no_grad()` at line 4.") and len(concise) < 150 + 20
    full = lint("--output-format", "full", "a.py").out
    assert "= note: Torch-Pruning traces the model through autograd" in full
    assert "Build it outside the block" in full


def test_a_statement_has_no_block_to_build_outside(lint, write):
    write("a.py", "import torch\nimport torch_pruning as tp\ntorch.set_grad_enabled(False)\np = tp.pruner.BasePruner(m, x, importance=i)\n")
    full = lint("--output-format", "full", "a.py").out
    assert "outside the block" not in full and "Build it before autograd is switched off" in full


def test_a_configured_decorator_is_named_once(lint, write):
    write("pyproject.toml", '[tool.prunelint]\ngrad-disabling-decorators = { "my_eval_mode" = "no_grad" }\n')
    write("a.py", "import torch_pruning as tp\nfrom h import my_eval_mode\n@my_eval_mode()\ndef f(m, x, i):\n    return tp.pruner.BasePruner(m, x, importance=i)\n")
    full = lint("--output-format", "full", "a.py").out
    assert "(configured))" not in full and "`my_eval_mode` (configured)" not in full
    assert "`@my_eval_mode()` is configured in `grad-disabling-decorators` as `no_grad`." in full
    assert "outside the decorated function" in full


def test_prl102_speaks_of_any_model(lint, write):
    write("a.py", "import torch_pruning as tp\np = tp.pruner.BasePruner(m, x, importance=i)\n")
    concise = lint("--select", "PRL102", "a.py").lines()[0]
    assert "resnet18" not in concise and "the output layer is pruned too." in concise


def test_prl101_points_at_the_element(lint, write):
    write("a.py", 'import torch_pruning as tp\np = tp.pruner.BasePruner(\n    m, x, importance=i,\n    ignored_layers=[m.a, "fc"],\n)\n')
    assert lint("a.py").locations() == ["a.py:4:26 PRL101"]
