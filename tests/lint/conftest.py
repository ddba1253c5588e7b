"""Helpers for the end-to-end CLI tests: write a tree of files, run `prunelint` in-process or as a
subprocess, and check that nothing ever ends in a traceback."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from prunelint.engine import run as engine

from prunelint.frontends.cli import main

# PRL001 at 5:14: the 1-based column where `tp.pruner.BasePruner(` starts.
FINDING = """\
import torch
import torch_pruning as tp

with torch.no_grad():
    pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
"""
CLEAN = """\
import torch_pruning as tp

pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
"""


@dataclass
class Result:
    code: int
    out: str
    err: str

    def lines(self) -> list[str]:
        return self.out.splitlines()

    def locations(self) -> list[str]:
        """`file:row:col: CODE` of each concise finding."""
        found = []
        for line in self.lines():
            where, sep, rest = line.partition(": ")
            if sep and where.count(":") >= 2:
                found.append(f"{where} {rest.split()[0]}")
        return found


def _check(result: Result) -> Result:
    assert "Traceback" not in result.out and "Traceback" not in result.err, result.err
    assert "internal error" not in result.err, result.err
    return result


@pytest.fixture
def write(tmp_path: Path):
    def write(relpath: str, content: str | bytes = FINDING) -> Path:
        path = tmp_path / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        return path

    return write


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


@pytest.fixture
def lint(tmp_path: Path, capsys, monkeypatch):
    """`prunelint ARGS` in-process, in `cwd` (default: tmp_path)."""

    def lint(*argv: str, cwd: Path | str | None = None, stdin: bytes | None = None) -> Result:
        monkeypatch.chdir(cwd if cwd is not None else tmp_path)
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", _Stdin(stdin))
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return _check(Result(code, captured.out, captured.err))

    return lint


@pytest.fixture
def run(tmp_path: Path):
    """`python -m prunelint ARGS` as a user runs it."""

    def run(*argv: str, cwd: Path | str | None = None, stdin: bytes | None = None) -> Result:
        env = dict(os.environ)
        env.pop("PRUNELINT_DEBUG", None)
        proc = subprocess.run(
            [sys.executable, "-m", "prunelint", *argv],
            cwd=cwd if cwd is not None else tmp_path,
            input=stdin if stdin is not None else b"",
            capture_output=True,
            env=env,
        )
        return _check(Result(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")))

    return run


@pytest.fixture
def parsed(monkeypatch):
    """The display names of the files each run actually analyses."""
    seen: list[str] = []
    analyse = engine.FileStep.analyse

    def spy(self, sources):
        seen.extend(s.filename for s in sources)
        return analyse(self, sources)

    monkeypatch.setattr(engine.FileStep, "analyse", spy)
    return seen
