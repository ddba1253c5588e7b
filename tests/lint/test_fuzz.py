"""bench/fuzz.py at the small size CI keeps (issue 19): generated programs with a Torch-Pruning
import and a pruner spliced in, through the CLI in batches, and `--fix` twice on each batch.
The long run is `python bench/fuzz.py --examples 10000`."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("hypothesmith")

FUZZ = Path(__file__).resolve().parents[2] / "bench" / "fuzz.py"


def _fuzz():
    spec = importlib.util.spec_from_file_location("prunelint_bench_fuzz", FUZZ)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_a_small_fuzz_run_finds_no_crash_and_no_broken_fix(tmp_path):
    report = tmp_path / "fuzz.json"
    # No hang guard: a hung batch would hang the suite, and a limit in seconds is not for CI.
    code = _fuzz().main(["--examples", "40", "--batch", "20", "--fix-every", "1", "--hang-guard", "0", "--report", str(report)])
    counts = json.loads(report.read_text())["counts"]
    assert counts["examples"] == 40
    # The spliced import and pruner take every program that compiles past the prefilter.
    assert counts["analysed"] == counts["compiled"] > 0
    assert counts["compiled_not_analysed"] == 0
    assert counts["findings"] >= counts["analysed"], "each program builds a pruner with a finding to fix"
    assert counts["fix_examples"] == 40 and counts["fix_changed"] > 0
    for key in ("crashes", "hangs", "fix_broke", "fix_unstable", "fix_crashes", "fix_hangs"):
        assert counts[key] == 0, (key, json.loads(report.read_text())["failures"])
    assert code == 0
