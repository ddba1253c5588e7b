"""`prunelint` end to end: options, output formats, exit codes, rule docs, bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"

FINDING = """\
import torch
import torch_pruning as tp

with torch.no_grad():
    pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
"""
FINDING_LINE = "    pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)"


def with_line5(comment: str) -> str:
    """FINDING with something appended to the flagged line."""
    return FINDING.replace(FINDING_LINE, FINDING_LINE + comment)


# --- true end to end -------------------------------------------------------------------------


def test_subprocess_finding_exit_1(run, write):
    write("a.py")
    result = run("a.py")
    assert result.code == 1
    assert result.lines()[0].startswith("a.py:5:14: PRL001 `tp.pruner.BasePruner(...)`")
    # PRL001's fix is unsafe: ruff counts it as hidden
    assert result.lines()[-2:] == ["Found 1 error.", "1 unsafe fix available with `--fix --unsafe-fixes`."]
    assert result.err == ""


def test_subprocess_output_is_whole_through_a_pipe(run, write):
    """The command ends its process without the interpreter's clean-up (`cli.console`), once
    its output is flushed: a long report arrives whole."""
    for i in range(150):
        write(f"pkg/m{i:03d}.py")
    result = run("--isolated", "--no-cache", "--output-format", "json", "pkg")
    assert result.code == 1
    assert len(json.loads(result.out)) == 150
    assert result.err == ""


def test_subprocess_reader_that_goes_away(write, tmp_path):
    """`prunelint | head -c 20`: the run ends with exit 2, and no traceback."""
    import subprocess
    import sys

    for i in range(150):
        write(f"pkg/m{i:03d}.py")
    proc = subprocess.Popen(
        [sys.executable, "-m", "prunelint", "--isolated", "--no-cache", "--output-format", "full", "pkg"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert len(proc.stdout.read(20)) == 20
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait() == 2
    assert "Traceback" not in err and "Exception ignored" not in err, err


def test_subprocess_default_path_and_check_subcommand(run, write):
    write("pkg/a.py")
    write("pkg/ok.py", "import torch_pruning as tp\n")
    result = run("check")
    assert result.code == 1
    assert result.locations() == ["pkg/a.py:5:14 PRL001"]


def test_subprocess_stdin(run):
    result = run("-", "--stdin-filename", "src/x.py", stdin=FINDING.encode())
    assert result.code == 1
    assert result.locations() == ["src/x.py:5:14 PRL001"]


def test_subprocess_unknown_select_is_one_line_error(run, write):
    write("a.py")
    result = run("--select", "NOPE", "a.py")
    assert result.code == 2
    assert result.out == ""
    assert result.err.count("\n") == 1 and result.err.startswith("error: ")
    assert "NOPE" in result.err


def test_subprocess_rule_docs(run):
    result = run("rule", "PRL001")
    assert result.code == 0
    assert "PRL001" in result.out and "grad-disabled-tracing" in result.out


def test_subprocess_version(run):
    result = run("--version")
    assert result.code == 0
    assert result.out.startswith("prunelint ")


def test_subprocess_parallel_same_as_serial(run, write):
    for i in range(20):
        if i % 3 == 0:
            write(f"pkg{i % 4}/m{i:02}.py", FINDING)
        elif i % 3 == 1:
            write(f"pkg{i % 4}/m{i:02}.py", "import torch_pruning as tp\nx = (\n")
        else:
            write(f"pkg{i % 4}/m{i:02}.py", "import os\n")
    serial = run("-j", "1", "--output-format", "json")
    parallel = run("-j", "2", "--output-format", "json")
    assert serial.code == parallel.code == 1
    assert parallel.out == serial.out
    items = json.loads(serial.out)
    assert {d["code"] for d in items} == {"PRL000", "PRL001"}
    assert len(items) == 14


# --- summary, exit codes ---------------------------------------------------------------------


def test_all_checks_passed(lint, write):
    write("a.py", "import torch_pruning as tp\n")
    result = lint()
    assert result.code == 0
    assert result.out == "All checks passed!\n"


def test_found_n_errors_plural(lint, write):
    write("a.py")
    write("b.py")
    result = lint(".")
    assert result.code == 1
    assert result.lines()[-2:] == ["Found 2 errors.", "2 unsafe fixes available with `--fix --unsafe-fixes`."]


def test_quiet_has_no_summary(lint, write):
    write("a.py")
    result = lint("-q")
    assert result.code == 1
    assert result.lines() == [line for line in result.lines() if line.startswith("a.py:5:14: PRL001")]
    assert len(result.lines()) == 1


def test_exit_zero(lint, write):
    write("a.py")
    result = lint("--exit-zero")
    assert result.code == 0
    assert "a.py:5:14: PRL001" in result.out
    assert "Found 1 error." in result.out


def test_statistics(lint, write):
    write("a.py")
    write("b.py")
    write("c.py", "import torch_pruning\nx = (\n")
    result = lint("--statistics")
    assert result.code == 1
    rows = [line.split("\t") for line in result.lines() if "\t" in line]
    assert [(int(count), code) for count, code, *_ in rows] == [(2, "PRL001"), (1, "PRL000")]
    # No safe fix among them: no fixable column, as ruff prints it.
    assert rows[0][2] == "grad-disabled-tracing"
    assert result.lines()[len(rows)] == "Found 3 errors."


def test_findings_sorted_by_file_line_column(lint, write):
    two = FINDING + "\nwith torch.no_grad():\n    dg = tp.DependencyGraph().build_dependency(model, example_inputs=x)\n"
    write("b.py", two)
    write("a.py", FINDING)
    write("sub/c.py", FINDING)
    write("a2.py", "import torch_pruning\nx = )\n")
    result = lint("sub", "b.py", "a2.py", "a.py")
    assert [loc.split(":")[0] for loc in result.locations()] == ["a.py", "a2.py", "b.py", "b.py", "sub/c.py"]
    rows = [int(loc.split(":")[1]) for loc in result.locations() if loc.startswith("b.py")]
    assert rows == [5, 8]


def test_jobs_negative_is_usage_error(lint, write):
    write("a.py")
    result = lint("-j", "-1")
    assert result.code == 2
    assert result.err.startswith("error: ")


def test_unknown_option_is_usage_error(lint):
    result = lint("--no-such-option")
    assert result.code == 2
    assert "error:" in result.err and "--no-such-option" in result.err


def test_help_returns_zero(lint):
    result = lint("--help")
    assert result.code == 0
    assert "--select" in result.out


# --- output formats --------------------------------------------------------------------------


def test_json_format(lint, write):
    write("a.py")
    result = lint("--output-format", "json")
    assert result.code == 1
    items = json.loads(result.out)
    assert isinstance(items, list) and len(items) == 1
    item = items[0]
    assert {"code", "message", "filename", "location", "end_location", "fix", "url"} <= set(item)
    assert item["code"] == "PRL001"
    assert item["filename"] == os.path.abspath("a.py")  # absolute, as ruff writes it
    assert item["location"] == {"row": 5, "column": 14}
    assert item["end_location"] == {"row": 5, "column": len(FINDING_LINE) + 1}
    assert item["fix"]["applicability"] == "unsafe"  # PRL001 wraps the construction
    assert item["fix"]["edits"][0]["content"].startswith("    with torch.enable_grad():\n")
    assert isinstance(item["url"], str) and item["url"]
    assert "Found" not in result.out


def test_json_format_clean_is_empty_array(lint, write):
    write("a.py", "x = 1\n")
    result = lint("--output-format", "json")
    assert result.code == 0
    assert json.loads(result.out) == []


def test_sarif_format_validates(lint, write):
    write("a.py")
    write("b.py", b"import torch_pruning\n\xff\n")
    result = lint("--output-format", "sarif")
    assert result.code == 1
    document = json.loads(result.out)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    results = document["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["PRL001", "PRL000"]
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (5, 14)
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("a.py")


def test_github_format(lint, write):
    write("a.py")
    result = lint("--output-format", "github")
    assert result.code == 1
    assert len(result.lines()) == 1
    assert result.lines()[0].startswith("::error title=prunelint (PRL001),file=a.py,line=5,col=14,")
    assert "::PRL001 " in result.lines()[0]


def test_full_format_shows_source(lint, write):
    write("a.py")
    result = lint("--output-format", "full")
    assert result.code == 1
    assert "5 | " + FINDING_LINE in result.out
    caret = next(line for line in result.lines() if "^" in line)
    # the carets start under column 14 of the source line
    assert caret.index("^") - caret.index("|") - 2 == 13
    # PRL001's fix is unsafe: ruff counts it as hidden
    assert result.lines()[-2:] == ["Found 1 error.", "1 unsafe fix available with `--fix --unsafe-fixes`."]


def test_output_format_from_config(lint, write):
    write("a.py")
    write("pyproject.toml", '[tool.prunelint]\noutput-format = "json"\n')
    result = lint()
    assert json.loads(result.out)[0]["code"] == "PRL001"
    result = lint("--output-format", "concise")  # the command line wins
    assert result.locations() == ["a.py:5:14 PRL001"]


def test_unknown_output_format(lint, write):
    result = lint("--output-format", "xml")
    assert result.code == 2
    assert "error:" in result.err


# --- selection -------------------------------------------------------------------------------


@pytest.mark.parametrize("selector", ["PRL001", "prl001", "PRL", "PRL0", "PRL00", "ALL"])
def test_select_by_code_or_prefix(lint, write, selector):
    write("a.py")
    result = lint("--select", selector)
    assert result.code == 1
    # A prefix that covers the opt-in PRL102 (no ignored_layers) enables it too, as in ruff.
    opt_in = ["a.py:5:14 PRL102"] if selector.upper() in ("PRL", "ALL") else []
    assert result.locations() == ["a.py:5:14 PRL001", *opt_in]


@pytest.mark.parametrize("selector", ["PRL001", "PRL", "PRL0", "ALL"])
def test_ignore_by_code_or_prefix(lint, write, selector):
    write("a.py")
    result = lint("--ignore", selector)
    assert result.code == 0
    assert result.out == "All checks passed!\n"


def test_select_other_rule_only(lint, write):
    write("a.py")
    write("b.py", b"import torch_pruning\n\xff\n")
    result = lint("--select", "PRL000")
    assert result.locations() == ["b.py:2:1 PRL000"]


def test_extend_select_adds(lint, write):
    write("a.py")
    write("b.py", b"import torch_pruning\n\xff\n")
    result = lint("--select", "PRL000", "--extend-select", "PRL001")
    assert [loc.split()[-1] for loc in result.locations()] == ["PRL001", "PRL000"]


def test_select_comma_separated_and_repeated(lint, write):
    write("a.py")
    write("b.py", b"import torch_pruning\n\xff\n")
    assert len(lint("--select", "PRL000,PRL001").locations()) == 2
    assert len(lint("--select", "PRL000", "--select", "PRL001").locations()) == 2


def test_more_specific_selector_wins(lint, write):
    write("a.py")
    assert lint("--select", "PRL001", "--ignore", "PRL").locations() == ["a.py:5:14 PRL001"]
    assert lint("--select", "PRL", "--ignore", "PRL001").locations() == ["a.py:5:14 PRL102"]
    assert lint("--select", "PRL", "--ignore", "PRL001,PRL102").locations() == []


@pytest.mark.parametrize("option", ["--select", "--ignore", "--extend-select"])
@pytest.mark.parametrize("selector", ["NOPE", "PRL999", "PRL0011", "X"])
def test_unknown_selector_is_one_line_error(lint, write, option, selector):
    write("a.py")
    result = lint(option, selector)
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("error: ") and result.err.count("\n") == 1
    assert selector in result.err and option in result.err


# --- noqa ------------------------------------------------------------------------------------


FORMATS = ["concise", "full", "json", "github", "sarif"]


def _codes(result, fmt: str) -> list[str]:
    if fmt == "json":
        return [d["code"] for d in json.loads(result.out)]
    if fmt == "sarif":
        return [r["ruleId"] for r in json.loads(result.out)["runs"][0]["results"]]
    if fmt == "github":
        return [line.split("::")[2].split()[0] for line in result.lines()]
    return [code for code in ("PRL000", "PRL001") for _ in range(result.out.count(f": {code} "))]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "comment",
    ["  # noqa", "  # noqa: PRL001", "  #noqa:PRL001", "  # NOQA:prl001", "  # noqa: PRL000, PRL001",
     "  # noqa:PRL999,PRL001", "  # some words  # noqa: PRL001"],
)
def test_noqa_silences(lint, write, fmt, comment):
    write("a.py", with_line5(comment))
    write("b.py")
    result = lint("--output-format", fmt)
    assert result.code == 1
    assert _codes(result, fmt) == ["PRL001"]
    assert "a.py" not in result.out.replace("b.py", "")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("comment", ["  # noqa: PRL999", "  # noqa: PRL0010", "  # noqa: PRL000"])
def test_noqa_for_other_code_does_not_silence(lint, write, fmt, comment):
    write("a.py", with_line5(comment))
    result = lint("--output-format", fmt)
    assert result.code == 1
    assert _codes(result, fmt) == ["PRL001"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_noqa_in_a_string_does_not_count(lint, write, fmt):
    write("a.py", FINDING.replace("example_inputs", '"# noqa"'))
    result = lint("--output-format", fmt)
    assert result.code == 1
    assert _codes(result, fmt) == ["PRL001"]


def test_noqa_on_another_line_does_not_count(lint, write):
    write("a.py", FINDING.replace("with torch.no_grad():", "with torch.no_grad():  # noqa: PRL001"))
    assert lint().locations() == ["a.py:5:14 PRL001"]


def test_noqa_with_stdin(lint):
    result = lint("-", "--stdin-filename", "x.py", stdin=with_line5("  # noqa: PRL001").encode())
    assert result.code == 0


# --- rule docs -------------------------------------------------------------------------------


def test_rule_docs(lint):
    result = lint("rule", "PRL001")
    assert result.code == 0
    assert "PRL001" in result.out and "no_grad" in result.out
    assert lint("rule", "prl001").out == result.out


def test_rule_unknown_code(lint):
    result = lint("rule", "NOPE")
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("error: ") and result.err.count("\n") == 1
    assert "NOPE" in result.err and "PRL001" in result.err


def test_rule_without_code(lint):
    result = lint("rule")
    assert result.code == 2
    assert result.err.startswith("error: ")


def test_rule_all(lint):
    result = lint("rule", "--all")
    assert result.code == 0
    assert "PRL000" in result.out and "PRL001" in result.out
    assert result.out.index("PRL000") < result.out.index("PRL001")


# --- stdin -----------------------------------------------------------------------------------


def test_stdin_without_filename(lint):
    result = lint("-", stdin=FINDING.encode())
    assert result.code == 1
    assert result.locations() == ["-:5:14 PRL001"]


def test_stdin_full_format_shows_the_piped_source(lint):
    result = lint("-", "--stdin-filename", "nowhere/x.py", "--output-format", "full", stdin=FINDING.encode())
    assert "5 | " + FINDING_LINE in result.out


def test_stdin_filename_in_excluded_folder_is_linted_without_force_exclude(lint):
    result = lint("-", "--stdin-filename", "venv/x.py", stdin=FINDING.encode())
    assert result.locations() == ["venv/x.py:5:14 PRL001"]


@pytest.mark.parametrize("name", ["venv/x.py", "build/sub/x.py", "gen/x.py", "skip_me.py"])
def test_stdin_filename_force_exclude(lint, name):
    result = lint("-", "--stdin-filename", name, "--force-exclude", "--extend-exclude", "gen,skip_*.py",
                  stdin=FINDING.encode())
    assert result.code == 0
    assert "PRL001" not in result.out


def test_stdin_force_exclude_from_config(lint, write):
    write("pyproject.toml", '[tool.prunelint]\nforce-exclude = true\nextend-exclude = ["gen"]\n')
    assert lint("-", "--stdin-filename", "gen/x.py", stdin=FINDING.encode()).code == 0
    assert lint("-", "--stdin-filename", "src/x.py", stdin=FINDING.encode()).code == 1


def test_stdin_cannot_be_combined(lint, write):
    write("a.py")
    result = lint("-", "a.py", stdin=b"")
    assert result.code == 2
    assert result.err.startswith("error: ")


def test_stdin_bad_bytes(lint):
    result = lint("-", "--stdin-filename", "x.py", stdin=b"import torch_pruning\n\xff\xfe\n")
    assert result.code == 1
    assert result.locations() == ["x.py:2:1 PRL000"]


# --- bad input -------------------------------------------------------------------------------


def test_syntax_error_reported_and_run_goes_on(lint, write):
    write("a_broken.py", "import torch_pruning as tp\n\ndef f(:\n    pass\n")
    write("b.py")
    result = lint()
    assert result.code == 1
    found = result.locations()
    assert len(found) == 2
    assert found[0].startswith("a_broken.py:") and found[0].endswith("PRL000")
    assert "syntax error" in result.lines()[0]
    assert found[1] == "b.py:5:14 PRL001"


def test_syntax_error_in_unrelated_file_is_not_reported(lint, write):
    # By design: only files that mention torch_pruning (or a known pruner builder) are parsed.
    write("unrelated.py", "def f(:\n    pass\n")
    result = lint()
    assert result.code == 0
    assert result.out == "All checks passed!\n"


def test_invalid_utf8_is_reported_even_in_unrelated_file(lint, write):
    write("bad.py", b"x = 1\ny = '\xff'\n")
    result = lint()
    assert result.code == 1
    assert result.locations() == ["bad.py:2:6 PRL000"]
    assert "utf-8" in result.out


def test_binary_file_is_reported(lint, write):
    write("bin.py", b"\x7fELF\x02\x01\x00\x00\nabc")
    write("b.py")
    result = lint()
    assert result.locations() == ["b.py:5:14 PRL001", "bin.py:1:1 PRL000"]
    assert "binary" in result.out


@pytest.mark.parametrize("fmt", FORMATS)
def test_binary_file_in_every_format(lint, write, fmt):
    write("bin.py", b"\x00\x01\x02")
    result = lint("--output-format", fmt)
    assert result.code == 1
    assert _codes(result, fmt) == ["PRL000"]
    assert "\x00" not in result.out


def test_bom_file_is_linted(lint, write):
    write("bom.py", b"\xef\xbb\xbf" + FINDING.encode())
    result = lint("--output-format", "full")
    assert "bom.py:5:14: PRL001" in result.out
    assert "\ufeff" not in result.out
    assert "PRL000" not in result.out


def test_bom_file_syntax_error_and_clean_bom_file(lint, write):
    write("bom.py", b"\xef\xbb\xbf" + b"import torch_pruning as tp\nx = )\n")
    write("ok.py", b"\xef\xbb\xbfimport torch_pruning as tp\n")
    result = lint()
    assert [loc.split(":")[0] for loc in result.locations()] == ["bom.py"]


def test_latin1_with_cookie(lint, write):
    source = "# -*- coding: latin-1 -*-\n" + FINDING.replace("imp)", "imp)  # caf\xe9")
    write("lat.py", source.encode("latin-1"))
    result = lint("--output-format", "full")
    assert "lat.py:6:14: PRL001" in result.out
    assert "PRL000" not in result.out
    assert "caf\xe9" in result.out  # the source is shown decoded as it was linted


def test_bad_cookie_is_reported(lint, write):
    write("cookie.py", b"# -*- coding: no-such-codec -*-\nimport torch_pruning\n")
    result = lint()
    assert result.code == 1
    assert result.locations()[0].endswith("PRL000")


def test_crlf_line_endings(lint, write):
    write("crlf.py", FINDING.replace("\n", "\r\n").encode())
    result = lint("--output-format", "full")
    assert "crlf.py:5:14: PRL001" in result.out
    assert "5 | " + FINDING_LINE + "\n" in result.out
    assert "\r" not in result.out


def test_cr_only_line_endings(lint, write):
    write("cr.py", FINDING.replace("\n", "\r").encode())
    result = lint()
    assert result.locations() == ["cr.py:5:14 PRL001"]


def test_form_feed_does_not_shift_rows_in_full_format(lint, write):
    write("ff.py", FINDING.replace("import torch\n", "import torch\n\x0c\n"))
    result = lint("--output-format", "full")
    assert "ff.py:6:14: PRL001" in result.out
    assert "6 | " + FINDING_LINE in result.out


def test_empty_file(lint, write):
    write("empty.py", b"")
    write("blank.py", b"\n\n")
    result = lint()
    assert result.code == 0
    assert result.out == "All checks passed!\n"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_unreadable_file(lint, write):
    path = write("secret.py")
    path.chmod(0)
    try:
        result = lint()
    finally:
        path.chmod(0o644)
    assert result.code == 1
    assert result.locations() == ["secret.py:1:1 PRL000"]


def test_directory_named_like_a_python_file(lint, write):
    write("x.py/inner.py")
    result = lint("x.py")
    assert result.locations() == ["x.py/inner.py:5:14 PRL001"]
    assert lint().locations() == ["x.py/inner.py:5:14 PRL001"]


def test_dangling_symlink(lint, write, tmp_path):
    write("b.py")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    result = lint()
    assert result.code == 1
    assert result.locations() == ["b.py:5:14 PRL001", "dangling.py:1:1 PRL000"]
    assert "cannot read" in result.out


def test_symlink_loop(lint, write, tmp_path):
    write("b.py")
    (tmp_path / "loop.py").symlink_to(tmp_path / "loop.py")
    (tmp_path / "ping.py").symlink_to(tmp_path / "pong.py")
    (tmp_path / "pong.py").symlink_to(tmp_path / "ping.py")
    result = lint()
    assert result.code == 1
    assert result.locations() == ["b.py:5:14 PRL001", "loop.py:1:1 PRL000", "ping.py:1:1 PRL000", "pong.py:1:1 PRL000"]
    assert lint("loop.py").locations() == ["loop.py:1:1 PRL000"]


def test_symlinked_folder_loop_is_not_followed(lint, write, tmp_path):
    write("pkg/a.py")
    (tmp_path / "pkg" / "again").symlink_to(tmp_path / "pkg", target_is_directory=True)
    result = lint()
    assert result.locations() == ["pkg/a.py:5:14 PRL001"]


def test_missing_path(lint, write):
    write("b.py")
    result = lint("nope.py", "b.py", "gone/")
    assert result.code == 1
    assert result.locations() == ["b.py:5:14 PRL001", "gone/:1:1 PRL000", "nope.py:1:1 PRL000"]
    assert "no such file" in result.out


def test_missing_path_obeys_ignore(lint):
    result = lint("nope.py", "--ignore", "PRL000")
    assert result.code == 0



def test_stdin_force_exclude_ignores_folders_above_the_project(lint, write, tmp_path):
    # A folder named `build` above the project must not exclude everything in it.
    project = tmp_path / "build" / "project"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.prunelint]\n")
    result = lint("-", "--stdin-filename", "x.py", "--force-exclude", stdin=FINDING.encode(), cwd=project)
    assert result.locations() == ["x.py:5:14 PRL001"]


def test_readme_quick_start_output_is_what_prunelint_prints(monkeypatch, capsys) -> None:
    """The README shows the real output of its main command, `prunelint examples/`."""
    import re
    from pathlib import Path

    from prunelint.frontends.cli import main

    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    assert main(["examples/"]) == 1
    printed = capsys.readouterr().out
    readme = (root / "README.md").read_text("utf-8")
    block = re.search(r"lints the bundled examples.*?```text\n(.*?)```", readme, re.S)
    assert block is not None
    assert block.group(1) == printed
