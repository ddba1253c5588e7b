"""The lint fixtures, checked both ways: every `# expect: CODE` is found, nothing else is."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from prunelint.settings.apidata import load_api_data
from prunelint.settings.config import Settings
from prunelint.engine.run import LintOptions, lint_files
from prunelint.io.discovery import discover
from prunelint.io.notebook import is_notebook
from prunelint.plugins.registry import load_rules
from prunelint.settings.selection import Selection, enabled_codes

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)")
# Opt-in rules are checked only in the fixture files that select them, as a user would.
SELECT = re.compile(r"#\s*fixture-select:\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)")


def selected_codes(files: list[str]) -> dict[str, frozenset[str]]:
    """Per file: the default rules, plus the opt-in ones its `# fixture-select:` line names."""
    rules = load_rules()
    default = enabled_codes(Selection(), rules.infos())
    chosen: dict[str, frozenset[str]] = {}
    for name in files:
        extra: set[str] = set()
        for match in SELECT.finditer(Path(name).read_text("utf-8", errors="replace")):
            extra.update(re.split(r"\s*,\s*", match.group("codes")))
        chosen[name] = frozenset(default | extra)
    return chosen


def expectation_lines(name: str) -> list[tuple[int | None, int, str]]:
    """(cell, row, text) of each line that findings are reported on: a notebook's cell lines
    (cell None when it cannot be read as a notebook: its findings are on lines of the file)."""
    text = Path(name).read_text("utf-8")
    if is_notebook(name):
        try:
            cells = json.loads(text)["cells"]
        except (ValueError, KeyError, TypeError):
            cells = None
        if cells is not None:
            return [
                (number, row, line)
                for number, cell in enumerate(cells, start=1)
                for row, line in enumerate("".join(cell["source"]).splitlines(), start=1)
            ]
    return [(None, row, line) for row, line in enumerate(text.splitlines(), start=1)]


def expected_findings(files: list[str]) -> Counter[tuple[str, int | None, int, str]]:
    found: Counter[tuple[str, int | None, int, str]] = Counter()
    for name in files:
        for cell, row, line in expectation_lines(name):
            match = EXPECT.search(line)
            if match:
                for code in re.split(r"\s*,\s*", match.group("codes")):
                    found[(name, cell, row, code)] += 1
    return found


def lint_fixtures(*, jobs: int = 1, prefilter: bool = True) -> tuple[list[str], list]:
    rules = load_rules()
    settings = Settings(root=str(FIXTURES))
    files = discover(["."], settings).files
    options = LintOptions(
        settings=settings,
        rules=rules,
        codes=enabled_codes(Selection(select=("ALL",)), rules.infos()),
        api=load_api_data(),
        jobs=jobs,
        prefilter=prefilter,
        roots=(str(FIXTURES),),
    )
    return files, lint_files(files, options)[0]


@pytest.fixture
def in_fixtures(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(FIXTURES)
    return FIXTURES


def test_every_expected_finding_and_nothing_else(in_fixtures: Path) -> None:
    files, diagnostics = lint_fixtures()
    assert len(files) > 10, "the fixture tree went missing"
    codes = selected_codes(files)
    actual = Counter(
        (d.filename, d.cell, d.location.row, d.code) for d in diagnostics if d.code in codes.get(d.filename, ())
    )
    expected = expected_findings(files)
    missing = sorted((expected - actual).elements())
    unexpected = sorted((actual - expected).elements())
    assert not missing and not unexpected, f"missing: {missing}\nunexpected: {unexpected}"


def test_fast_paths_change_nothing(in_fixtures: Path) -> None:
    """Prefilter and parallel jobs must give exactly what parsing every file gives."""
    _, baseline = lint_fixtures(prefilter=False)
    _, fast = lint_fixtures(prefilter=True)
    _, parallel = lint_fixtures(prefilter=True, jobs=2)
    assert baseline == fast == parallel
    assert baseline  # the comparison means something only if there are findings


def test_notebook_fixtures_report_cells(in_fixtures: Path) -> None:
    """The harness above matches notebook findings by cell; check the cells really are there."""
    _, diagnostics = lint_fixtures()
    notebook = [d for d in diagnostics if d.filename == "notebooks/prune_resnet18.ipynb"]
    assert [(d.cell, d.location.row, d.code) for d in notebook] == [
        (6, 4, "PRL001"),
        (11, 1, "PRL001"),
        (14, 3, "PRL001"),
    ]
    assert all(d.display_location == f"{d.filename}:cell {d.cell}:line {d.location.row}:{d.location.column}" for d in notebook)


@pytest.mark.parametrize("name", ["pkg/sub/relative.py"])
def test_prefilter_follows_builders_into_files_without_torch_pruning(in_fixtures: Path, name: str) -> None:
    path = FIXTURES / "prl001" / "crossmodule" / name
    assert "torch_pruning" not in path.read_text("utf-8")
    _, diagnostics = lint_fixtures()
    messages = [d.message for d in diagnostics if d.filename.endswith("train.py") and "prepare" in d.message]
    assert messages and "build_pruner(...)" in messages[0]
    assert os.path.join("pkg", "builders.py").replace(os.sep, "/") in messages[0]
