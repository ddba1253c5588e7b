"""`[tool.prunelint]` in the nearest pyproject.toml, `--config`, `--isolated`, and bad configs."""

from __future__ import annotations

import pytest

FINDING = """\
import torch
import torch_pruning as tp

with torch.no_grad():
    pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
"""


def files(result) -> list[str]:
    return [loc.split(":")[0] for loc in result.locations()]


def test_pyproject_in_cwd(lint, write):
    write("a.py")
    write("pyproject.toml", '[tool.prunelint]\nignore = ["PRL001"]\n')
    assert lint().code == 0
    assert lint("--isolated").code == 1


def test_pyproject_found_walking_up(lint, write, tmp_path):
    write("pyproject.toml", '[tool.prunelint]\nignore = ["PRL001"]\n')
    write("pkg/deep/a.py")
    assert lint(cwd=tmp_path / "pkg" / "deep").code == 0


def test_pyproject_without_our_table_is_skipped(lint, write, tmp_path):
    write("pyproject.toml", '[tool.prunelint]\nignore = ["PRL001"]\n')
    write("pkg/pyproject.toml", '[project]\nname = "pkg"\n')
    write("pkg/a.py")
    assert lint(cwd=tmp_path / "pkg").code == 0


def test_nearest_pyproject_wins(lint, write, tmp_path):
    write("pyproject.toml", '[tool.prunelint]\nignore = ["PRL001"]\n')
    write("pkg/pyproject.toml", "[tool.prunelint]\n")
    write("pkg/a.py")
    assert lint(cwd=tmp_path / "pkg").code == 1


def test_config_option_with_prunelint_toml(lint, write):
    write("a.py")
    write("conf/prunelint.toml", 'ignore = ["PRL001"]\n')
    write("pyproject.toml", '[tool.prunelint]\nselect = ["PRL001"]\n')
    assert lint("--config", "conf/prunelint.toml").code == 0


def test_config_option_with_pyproject(lint, write):
    write("a.py")
    write("conf/pyproject.toml", '[tool.prunelint]\nignore = ["PRL001"]\n')
    assert lint("--config", "conf/pyproject.toml").code == 0
    assert lint().code == 1


def test_isolated_ignores_config(lint, write):
    write("a.py")
    write("pyproject.toml", '[tool.prunelint]\nignore = ["PRL001"]\n')
    assert lint("--isolated").locations() == ["a.py:5:14 PRL001"]


def test_command_line_select_overrides_configured_ignore(lint, write):
    # ruff: `--select` on the command line starts afresh over the configuration's selection.
    write("a.py")
    write("pyproject.toml", '[tool.prunelint]\nignore = ["PRL001"]\n')
    assert lint("--select", "PRL001").code == 1
    assert lint("--extend-select", "PRL001").code == 1
    assert lint("--select", "PRL000").code == 0


def test_command_line_ignore_adds_to_configured_select(lint, write):
    write("a.py")
    write("pyproject.toml", '[tool.prunelint]\nselect = ["ALL"]\n')
    assert lint().locations() == ["a.py:5:14 PRL001", "a.py:5:14 PRL102"]
    assert lint("--ignore", "PRL001").locations() == ["a.py:5:14 PRL102"]
    assert lint("--ignore", "PRL001,PRL102").code == 0


def test_configured_extend_select(lint, write):
    write("a.py")
    write("pyproject.toml", '[tool.prunelint]\nselect = ["PRL000"]\nextend-select = ["PRL001"]\n')
    assert lint().locations() == ["a.py:5:14 PRL001"]


def test_per_file_ignores(lint, write):
    write("sub/a.py")
    write("other/a.py")
    write("tests/test_x.py")
    write("pyproject.toml", '[tool.prunelint.per-file-ignores]\n"sub/*.py" = ["PRL001"]\n"test_*.py" = ["PRL"]\n')
    assert files(lint()) == ["other/a.py"]


def test_per_file_ignores_relative_to_config_folder(lint, write, tmp_path):
    write("sub/a.py")
    write("sub/inner/b.py")
    write("pyproject.toml", '[tool.prunelint.per-file-ignores]\n"sub/*.py" = ["PRL001"]\n')
    # From inside sub/ the file is shown as `a.py`, but the pattern is relative to the config.
    assert files(lint(cwd=tmp_path / "sub")) == ["inner/b.py"]
    assert files(lint("a.py", cwd=tmp_path / "sub")) == []
    assert files(lint("../a.py", cwd=tmp_path / "sub" / "inner")) == []


def test_per_file_ignores_with_config_option(lint, write, tmp_path):
    write("proj/sub/a.py")
    write("proj/prunelint.toml", '[per-file-ignores]\n"sub/a.py" = ["PRL001"]\n')
    assert lint("--config", "proj/prunelint.toml", "proj").code == 0
    assert lint("--isolated", "proj").code == 1


def test_per_file_ignores_with_stdin_filename(lint, write):
    write("pyproject.toml", '[tool.prunelint.per-file-ignores]\n"gen/*.py" = ["PRL001"]\n')
    assert lint("-", "--stdin-filename", "gen/x.py", stdin=FINDING.encode()).code == 0
    assert lint("-", "--stdin-filename", "src/x.py", stdin=FINDING.encode()).code == 1


def test_configured_excludes(lint, write):
    write("a.py")
    write("gen/b.py")
    write("venv/c.py")
    write("pyproject.toml", '[tool.prunelint]\nexclude = ["gen"]\n')
    assert files(lint()) == ["a.py", "venv/c.py"]
    write("pyproject.toml", '[tool.prunelint]\nextend-exclude = ["gen"]\n')
    assert files(lint()) == ["a.py"]
    # the command line's --extend-exclude adds to the configured one
    assert files(lint("--extend-exclude", "a.py")) == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[tool.prunelint\n", "invalid TOML"),
        ('[tool.prunelint]\nselect = "PRL001"\n', "must be a list of strings"),
        ("[tool.prunelint]\nselect = [1]\n", "must be a list of strings"),
        ("[tool.prunelint]\nno-such-key = 1\n", "unknown key `no-such-key`"),
        ('[tool.prunelint]\nrespect-gitignore = "yes"\n', "must be true or false"),
        ('[tool.prunelint]\noutput-format = "xml"\n', "must be one of"),
        ("[tool.prunelint]\noutput-format = 3\n", "must be a string"),
        ('[tool.prunelint]\nper-file-ignores = ["x"]\n', "must be a table"),
        ('[tool.prunelint.per-file-ignores]\n"x.py" = "PRL001"\n', "must be a list of strings"),
        ('[tool.prunelint.per-file-ignores]\n"x.py" = ["NOPE"]\n', "NOPE"),
        ('[tool.prunelint]\nselect = ["NOPE"]\n', "NOPE"),
        ('[tool.prunelint]\nignore = ["PRL7"]\n', "PRL7"),
        ('[tool.prunelint]\ngrad-disabling-decorators = {"x" = "sometimes"}\n', "grad-disabling-decorators"),
        ("tool = 1\n[tool2]\n", None),
        ("[tool]\nprunelint = 3\n", "must be a table"),
        (b"[tool.prunelint]\nselect = ['\xff']\n", "pyproject.toml"),
    ],
)
def test_bad_config_is_one_line_error(lint, write, content, expected):
    write("a.py")
    write("pyproject.toml", content)
    result = lint()
    if expected is None:  # not our table: no config, a normal run
        assert result.code == 1
        return
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("error: ") and result.err.count("\n") == 1
    assert "pyproject.toml" in result.err
    assert expected in result.err


@pytest.mark.parametrize(
    "content", ["tool = 1\n", "[tool]\nprunelint = 3\n", "[tool.prunelint]\nselect = 3\n", "[tool.prunelint\n"]
)
def test_bad_config_given_with_config_option(lint, write, content):
    write("a.py")
    write("conf/pyproject.toml", content)
    result = lint("--config", "conf/pyproject.toml")
    assert result.code in (1, 2)
    if result.code == 2:
        assert result.err.startswith("error: ") and result.err.count("\n") == 1


def test_bad_config_is_ignored_when_isolated(lint, write):
    write("a.py")
    write("pyproject.toml", "[tool.prunelint\n")
    assert lint("--isolated").code == 1


def test_config_file_not_found(lint, write):
    result = lint("--config", "missing.toml")
    assert result.code == 2
    assert result.err.startswith("error: ") and "missing.toml" in result.err


def test_config_file_is_a_folder(lint, write, tmp_path):
    (tmp_path / "conf.toml").mkdir()
    result = lint("--config", "conf.toml")
    assert result.code == 2
    assert result.err.startswith("error: ")


def test_bad_config_through_subprocess(run, write):
    write("a.py")
    write("pyproject.toml", "[tool.prunelint]\nunknown = true\n")
    result = run()
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("error: ") and result.err.count("\n") == 1


def test_configured_decorators_and_pruner_classes_take_effect(tmp_path, monkeypatch, capsys) -> None:
    from prunelint.frontends.cli import main

    (tmp_path / "pyproject.toml").write_text(
        "[tool.prunelint]\n"
        'grad-disabling-decorators = { "eval_only" = "no_grad", "mylib.fast.infer" = "inference_mode" }\n'
        'extend-pruner-classes = ["mylib.pruning.SlimPruner"]\n',
        "utf-8",
    )
    (tmp_path / "job.py").write_text(
        "import torch_pruning as tp\n"
        "from helpers import eval_only\n"
        "from mylib.fast import infer\n"
        "from mylib.pruning import SlimPruner\n"
        "\n"
        "@eval_only()\n"
        "def a(m, x, imp):\n"
        "    return tp.pruner.BasePruner(m, x, importance=imp)\n"
        "\n"
        "@infer()\n"
        "def b(m, x):\n"
        "    return SlimPruner(m, x)\n"
        "\n"
        "def c(m, x):\n"
        "    return SlimPruner(m, x)\n",
        "utf-8",
    )
    monkeypatch.chdir(tmp_path)
    assert main(["job.py"]) == 1
    out = capsys.readouterr().out
    assert "job.py:8:12: PRL001" in out and "`@eval_only()`" in out
    assert "job.py:12:12: PRL001" in out and "`SlimPruner(...)`" in out
    assert "job.py:15" not in out
    # Without the configuration neither name means anything.
    assert main(["--isolated", "job.py"]) == 0
