"""The linter never imports torch or torch_pruning, even on code full of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

PROBE = """
import sys
from prunelint.frontends.cli import main
code = main(["--isolated", "--select", "ALL", "-q", "."])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "torch_pruning", "transformers"))
print(code, heavy)
"""


def test_linting_the_fixtures_imports_no_torch() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=FIXTURES, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    code, heavy = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert code == "1"  # the fixtures have findings, so the analysis really ran
    assert heavy == "[]"
