"""Property tests: whatever valid Python hypothesmith generates, with or without Torch-Pruning
code spliced in, prunelint never raises, exits 0 or 1, and finds the same in one process and
with `-j 2`.

The suite runs a CI-sized sample; `pytest --hypothesis-long tests/lint/test_properties.py` runs
the long one (see tests/conftest.py).
"""

from __future__ import annotations

import ast
import io
import json
import os
import subprocess
import sys
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prunelint.frontends.cli import main
from pysplice import any_module, spliced_modules

# Generated programs are slow to draw and to lint; deadlines would only measure the machine.
settings.register_profile(
    "prunelint-ci",
    max_examples=20,
    deadline=None,
    # hypothesmith filters out what does not compile: many draws per list of modules.
    suppress_health_check=[
        HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
    print_blob=True,
)
settings.register_profile("prunelint-long", settings.get_profile("prunelint-ci"), max_examples=300)

# A finding about the file itself means that the file is not Python prunelint can read.
PARSE_FAILURES = ("syntax error", "libcst cannot parse", "too deeply nested", "cannot compile")


def _profile(request: pytest.FixtureRequest) -> settings:
    long = request.config.getoption("--hypothesis-long", default=False)
    return settings.get_profile("prunelint-long" if long else "prunelint-ci")


def _lint(tree: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(tree)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["--isolated", "--select", "ALL", "--output-format", "json", *argv])
    finally:
        os.chdir(cwd)
    return code, out.getvalue(), err.getvalue()


def _compiles(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<generated>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


def _write_tree(root: Path, modules: list[str]) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, text in enumerate(modules):
        path = root / f"pkg{index % 2}" / f"m{index}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        paths.append(path)
    return paths


def _check_run(code: int, out: str, err: str, modules: dict[str, str]) -> list[dict]:
    assert code in (0, 1), f"exit {code}: {err}"
    assert err == "", err
    found = json.loads(out)
    assert (code == 1) == bool(found)
    for item in found:
        assert item["location"]["row"] >= 1 and item["location"]["column"] >= 1
        if item["code"] == "PRL000":
            assert item["message"].startswith(PARSE_FAILURES), item
            # JSON names are absolute, as ruff writes them.
            text = next(v for k, v in modules.items() if item["filename"] == k or item["filename"].endswith("/" + k))
            # CPython accepts it, so prunelint must not call it a syntax error.
            if item["message"].startswith("syntax error"):
                assert not _compiles(text), item
    return found


def _counter() -> dict[str, int]:
    return {"examples": 0}


def test_any_generated_module(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    seen = _counter()

    @_profile(request)
    @given(st.lists(st.one_of(any_module(), spliced_modules()), min_size=1, max_size=3))
    def lint_alone(modules: list[str]) -> None:
        seen["examples"] += 1
        tree = tmp_path_factory.mktemp("gen")
        paths = _write_tree(tree, modules)
        texts = {str(p.relative_to(tree)): m for p, m in zip(paths, modules)}
        _check_run(*_lint(tree), texts)

    lint_alone()
    print(f"\n{seen['examples']} examples of generated modules")


def test_serial_and_parallel_agree(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Several generated modules in one tree, so that `-j 2` really splits the work."""
    seen = _counter()

    # Two runs and a process pool per example: a third of the examples of the test above.
    profile = _profile(request)
    @settings(profile, max_examples=max(1, profile.max_examples // 3))
    @given(st.lists(spliced_modules(), min_size=3, max_size=5))
    def agree(modules: list[str]) -> None:
        seen["examples"] += 1
        tree = tmp_path_factory.mktemp("par")
        paths = _write_tree(tree, modules)
        texts = {str(p.relative_to(tree)): m for p, m in zip(paths, modules)}
        serial = _lint(tree, "-j", "1")
        parallel = _lint(tree, "-j", "2")
        assert _check_run(*serial, texts) == _check_run(*parallel, texts)
        assert serial[0] == parallel[0]

    agree()
    print(f"\n{seen['examples']} examples of generated trees")


def test_spliced_pitfalls_are_found(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The splicing strategy really produces what the rules look for: without this, the
    properties above could pass on code the analysis never reaches."""
    codes: list[set[str]] = []

    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
    @given(spliced_modules(base=st.sampled_from(["x = 1\n", "def f():\n    return 1\n"])))
    def collect(text: str) -> None:
        tree = tmp_path_factory.mktemp("found")
        _write_tree(tree, [text])
        code, out, err = _lint(tree)
        codes.append({item["code"] for item in _check_run(code, out, err, {"pkg0/m0.py": text})})

    collect()
    assert sum("PRL001" in found for found in codes) >= 3, codes


GENERATED_LIKE = (
    "import torch\nimport torch_pruning as tp\nmatch = 1\n@torch.no_grad()\ndef case(m, x):\n"
    "    return tp.pruner.MagnitudePruner(m, x)\nlambda: (yield)\n",
    "import torch_pruning as tp\nasync def f():\n    async with a as b, c:\n        await tp.pruner.MetaPruner(m, x)\n",
    "import torch, torch_pruning as tp\nwith torch.no_grad():\n    p = tp.pruner.MetaPruner(m, x)\n",
    "import torch_pruning\nx = (\n",
    "import torch_pruning\nnonlocal x\n",
)


def test_generated_trees_through_a_subprocess(tmp_path: Path) -> None:
    """The installed entry point, as a user runs it, serial and parallel."""
    _write_tree(tmp_path, list(GENERATED_LIKE))
    outputs = []
    for jobs in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-m", "prunelint", "--isolated", "--select", "ALL", "--output-format", "json", "-j", jobs],
            cwd=tmp_path, capture_output=True, text=True,
        )
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr == ""
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
    found = {(os.path.relpath(d["filename"], tmp_path), d["code"]) for d in json.loads(outputs[0])}
    assert {("pkg0/m0.py", "PRL001"), ("pkg0/m2.py", "PRL001"), ("pkg1/m3.py", "PRL000")} <= found
