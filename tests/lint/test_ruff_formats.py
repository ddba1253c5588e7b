"""The formats ruff users know, each checked by the consumer it is for: junit against a JUnit
schema CI servers read, gitlab against GitLab's Code Quality fields, rdjson against reviewdog's
format, and the line formats byte for byte against ruff 0.17.6's output for the same finding
(`tests/data/ruff/*.txt`, captured with `ruff check --isolated --select F401` on `import os`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from prunelint.diagnostics import MAX_HEADLINE, Diagnostic, Edit, Fix, Position
from prunelint.output.formats import render
from prunelint.output.summary import statistics
from prunelint.plugins.registry import load_rules
from prunelint.ruleinfo import RuleInfo

DATA = Path(__file__).resolve().parents[1] / "data"
RUFF = DATA / "ruff"

# ruff's F401 on `import os`, as prunelint would carry it.
F401 = Diagnostic(
    "F401",
    "`os` imported but unused",
    "t.py",
    Position(1, 8),
    Position(1, 10),
    Fix("Remove unused import: `os`", (Edit("", Position(1, 1), Position(2, 1)),)),
)
F401_INFO = {
    "F401": RuleInfo(
        "F401", "unused-import", "", "", "https://docs.astral.sh/ruff/rules/unused-import", fixable=True
    )
}


def ruff_says(name: str, root: Path) -> str:
    return (RUFF / f"{name}.txt").read_text("utf-8").replace("{ROOT}", str(root))


def ours(fmt: str, diagnostics=(F401,), rules=F401_INFO) -> str:
    return render(list(diagnostics), fmt, rules)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CI_PROJECT_DIR", raising=False)
    return tmp_path


def test_json_has_ruffs_keys(in_tmp: Path) -> None:
    (theirs,) = [json.loads(line) for line in ruff_says("json-lines", in_tmp).splitlines()]
    assert json.loads(ours("json")) == [theirs]


@pytest.mark.parametrize("fmt", ["pylint", "azure", "json-lines"])
def test_line_formats_are_ruffs_bytes(fmt: str, in_tmp: Path) -> None:
    assert ours(fmt) == ruff_says(fmt, in_tmp)


def test_grouped_is_ruffs_bytes(in_tmp: Path) -> None:
    # ruff's file ends with its summary, which the CLI writes after the findings.
    expected = ruff_says("grouped", in_tmp)
    assert expected.startswith(ours("grouped"))
    assert ours("grouped") == "t.py:\n  1:8 F401 [*] `os` imported but unused\n\n"


def test_junit_is_ruffs_but_for_the_tool_name(in_tmp: Path) -> None:
    theirs = ruff_says("junit", in_tmp).replace('name="ruff"', 'name="prunelint"').replace("org.ruff", "org.prunelint")
    assert ours("junit") == theirs


def test_a_clean_junit_report_is_ruffs(in_tmp: Path) -> None:
    theirs = ruff_says("junit-clean", in_tmp).replace('"ruff"', '"prunelint"').replace("org.ruff", "org.prunelint")
    assert ours("junit", diagnostics=()) == theirs


def test_gitlab_is_ruffs_but_for_the_fingerprint(in_tmp: Path) -> None:
    mine, theirs = json.loads(ours("gitlab")), json.loads(ruff_says("gitlab", in_tmp))
    for item in mine + theirs:
        item["fingerprint"] = "…"
    assert mine == theirs
    assert not ours("gitlab").endswith("\n") and not ruff_says("gitlab", in_tmp).endswith("\n")


def test_rdjson_is_ruffs_but_for_the_source(in_tmp: Path) -> None:
    mine, theirs = json.loads(ours("rdjson")), json.loads(ruff_says("rdjson", in_tmp))
    assert mine["source"]["name"] == "prunelint"
    mine.pop("source"), theirs.pop("source")
    assert mine == theirs


def test_statistics_are_ruffs(in_tmp: Path) -> None:
    lines = statistics([F401], F401_INFO, quiet=True)
    assert lines == ruff_says("statistics", in_tmp).splitlines(keepends=True)[0]
    assert json.loads(statistics([F401], F401_INFO, quiet=True, fmt="json")) == json.loads(
        ruff_says("statistics-json", in_tmp)
    )


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed (pip install ruff==0.17.6)")
@pytest.mark.parametrize("fmt", ["pylint", "azure", "json-lines", "junit"])
def test_live_ruff_agrees(fmt: str, in_tmp: Path) -> None:
    """With ruff installed, its output now for the same finding (the captured files' check)."""
    (in_tmp / "t.py").write_text("import os\n")
    version = subprocess.run(["ruff", "--version"], capture_output=True, text=True).stdout.split()[-1]
    if version != "0.17.6":
        pytest.skip(f"ruff {version}, not 0.17.6")
    out = subprocess.run(
        ["ruff", "check", "--isolated", "--no-cache", "--select", "F401", "--output-format", fmt, "t.py"],
        capture_output=True, text=True, cwd=in_tmp,
    ).stdout
    assert ours(fmt).replace("prunelint", "ruff") == out


# -- the consumers, on real findings ----------------------------------------------------------------

REAL = [
    Diagnostic("PRL001", "`X(...)` builds a pruner while autograd is disabled by `with torch.no_grad()` at line 3. Details.",
               "src/a <b>&.py", Position(4, 5), Position(4, 20),
               Fix("Wrap it", (Edit("with torch.enable_grad():\n    ", Position(4, 1), Position(4, 1)),), "unsafe")),
    Diagnostic("PRL101", 'The string "fc" & <more>.', "src/a <b>&.py", Position(7, 1), Position(7, 3)),
    Diagnostic("PRL000", "syntax error: invalid syntax", "nb.ipynb", Position(2, 1), Position(2, 2), cell=3),
]
INFOS = load_rules().infos()


def test_junit_validates_against_the_schema_and_parses(in_tmp: Path) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(DATA / "junit.xsd"))
    for diagnostics in (REAL, []):
        text = render(diagnostics, "junit", INFOS)
        schema.validate(text)
        root = ET.fromstring(text.encode("utf-8"))
        cases = root.findall("./testsuite/testcase")
        failures = [case.find("failure") for case in cases]
        assert int(root.get("failures")) == len(diagnostics) == sum(f is not None for f in failures)
    messages = [f.get("message") for f in failures if f is not None] if diagnostics else []
    root = ET.fromstring(render(REAL, "junit", INFOS).encode())
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [os.path.abspath("src/a <b>&.py"), os.path.abspath("nb.ipynb")]
    assert root.find("./testsuite/testcase/failure").get("message").startswith("`X(...)` builds a pruner")
    assert messages == []


def test_junit_is_read_by_junitparser(in_tmp: Path) -> None:
    junitparser = pytest.importorskip("junitparser")
    path = in_tmp / "report.xml"
    path.write_text(render(REAL, "junit", INFOS), "utf-8")
    xml = junitparser.JUnitXml.fromfile(str(path))
    cases = [case for suite in xml for case in suite]
    assert len(cases) == 3 and all(not case.is_passed for case in cases)


def test_gitlab_follows_the_code_quality_schema(in_tmp: Path) -> None:
    schema = json.loads((DATA / "gitlab-codequality.schema.json").read_text())
    items = json.loads(render(REAL, "gitlab", INFOS))
    jsonschema.validate(items, schema)
    assert len({item["fingerprint"] for item in items}) == len(items)
    # The same findings give the same fingerprints: GitLab matches them across pipelines.
    assert items == json.loads(render(REAL, "gitlab", INFOS))
    twice = json.loads(render([REAL[1], REAL[1]], "gitlab", INFOS))
    assert twice[0]["fingerprint"] != twice[1]["fingerprint"]


def test_gitlab_paths_are_relative_to_the_project(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI_PROJECT_DIR", str(in_tmp.parent))
    items = json.loads(render(REAL[:1], "gitlab", INFOS))
    assert items[0]["location"]["path"] == f"{in_tmp.name}/src/a <b>&.py"


def test_rdjson_follows_reviewdogs_schema(in_tmp: Path) -> None:
    schema = json.loads((DATA / "rdjson.schema.json").read_text())
    log = json.loads(render(REAL, "rdjson", INFOS))
    jsonschema.validate(log, schema)
    first = log["diagnostics"][0]
    assert first["code"]["url"].endswith("docs/rules/PRL001.md")
    assert first["suggestions"][0]["text"].startswith("with torch.enable_grad()")
    # A notebook's rows count within its cell, which reviewdog cannot address: no suggestion.
    assert "suggestions" not in log["diagnostics"][2]


def test_azure_and_pylint_name_the_cell(in_tmp: Path) -> None:
    assert render(REAL[2:], "pylint", INFOS) == "nb.ipynb:2: [PRL000] cell 3: syntax error: invalid syntax\n"
    assert render(REAL[2:], "azure", INFOS).endswith("code=PRL000;]cell 3: syntax error: invalid syntax\n")


def test_json_lines_is_one_object_a_line(in_tmp: Path) -> None:
    lines = render(REAL, "json-lines", INFOS).splitlines()
    assert [json.loads(line)["code"] for line in lines] == ["PRL001", "PRL101", "PRL000"]
    assert json.loads(lines[0])["name"] == "grad-disabled-tracing"


def test_headlines_are_first_sentences(in_tmp: Path) -> None:
    concise = render(REAL[:1], "concise", INFOS)
    assert concise.endswith("at line 3.\n") and "Details" not in concise
    assert "= note: Details." in render(REAL[:1], "full", INFOS)
    long = Diagnostic("PRL001", "x" * 400 + ". Rest.", "a.py", Position(1, 1), Position(1, 2))
    assert len(long.headline) <= MAX_HEADLINE


def test_summaries_are_ruffs() -> None:
    """ruff 0.17.6's lines after the findings, for safe, unsafe and both kinds of fix."""
    from prunelint.output.summary import summary

    unsafe = Diagnostic("F841", "m", "u.py", Position(2, 5), Position(2, 6), Fix("t", (Edit("pass", Position(2, 5), Position(2, 10)),), "unsafe"))
    assert summary([F401], 0, False, False) == "Found 1 error.\n[*] 1 fixable with `--fix`.\n"
    assert summary([unsafe], 0, False, False) == "Found 1 error.\n1 unsafe fix available with `--fix --unsafe-fixes`.\n"
    assert summary([unsafe], 0, False, True) == "Found 1 error.\n[*] 1 fixable with `--fix`.\n"
    assert summary([F401, unsafe], 0, False, False) == (
        "Found 2 errors.\n[*] 1 fixable with `--fix` (1 unsafe fix available with `--fix --unsafe-fixes`).\n"
    )
    assert summary([unsafe], 1, True, False) == "Found 2 errors (1 fixed, 1 remaining).\n1 unsafe fix available with `--fix --unsafe-fixes`.\n"
