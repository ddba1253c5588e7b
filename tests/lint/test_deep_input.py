"""Pathological but possible input: never a crash, and valid code is still analysed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run(tmp_path: Path, name: str, text: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / name).write_text(text, "utf-8")
    return subprocess.run(
        [sys.executable, "-m", "prunelint", "--isolated", name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )


def test_nesting_python_refuses_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    # libcst's native parser overflows its stack (SIGSEGV) on these; CPython refuses them.
    deep = "import torch_pruning\nx = " + "(" * 3000 + ")" * 3000 + "\n"
    chain = "import torch_pruning\nx = " + "+".join(["1"] * 20000) + "\n"
    for name, text, expected in [
        ("deep.py", deep, "deep.py:2:205: PRL000 syntax error: too many nested parentheses"),
        ("chain.py", chain, "chain.py:1:1: PRL000 too deeply nested for Python to compile"),
    ]:
        result = run(tmp_path, name, text)
        assert result.returncode == 1, result.stderr
        assert expected in result.stdout
        assert "Traceback" not in result.stderr


def test_deep_but_valid_code_is_analysed(tmp_path: Path) -> None:
    text = (
        "import torch\nimport torch_pruning as tp\nwith torch.no_grad():\n"
        "    p = tp.pruner.BasePruner(m, " + "+".join(["1"] * 2900) + ")\n"
    )
    result = run(tmp_path, "chain3.py", text)
    assert result.returncode == 1, result.stderr
    assert "chain3.py:4:9: PRL001" in result.stdout


def test_syntax_errors_are_located_where_python_locates_them(tmp_path: Path) -> None:
    result = run(tmp_path, "s.py", "import torch_pruning\nx = )\n")
    assert "s.py:2:5: PRL000 syntax error: unmatched ')'" in result.stdout
    result = run(tmp_path, "t.py", "import torch_pruning\ndef f(:\n    pass\n")
    assert "t.py:2:7: PRL000 syntax error" in result.stdout
