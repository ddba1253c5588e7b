"""Ctrl-C during a parallel run: exit 130, one short line, no traceback, no worker left running,
no half-written file (cache or fix)."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")

# Enough work for two workers to be busy for many seconds on a loaded machine.
FILES = 240
MODULE = (
    "import torch\nimport torch_pruning as tp\n\n"
    "with torch.no_grad():\n    pruner = tp.pruner.MetaPruner(model, example_inputs, importance=imp)\n\n"
    + "".join(
        f"def helper_{i}(x, y=({i}, [{i} * 2, {{'k': {i}}}])):\n"
        f"    if x > {i}:\n        return [v + {i} for v in y[1] if v]\n    return x\n"
        for i in range(40)
    )
)



def _stat(pid: str) -> tuple[int, int, str] | None:
    """(parent pid, process group, state) of a process, None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[2]), fields[0]


def _processes() -> dict[int, tuple[int, int, str]]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (info := _stat(entry)) is not None:
            found[int(entry)] = info
    return found


def _children(pid: int) -> list[int]:
    return [p for p, (ppid, _, _) in _processes().items() if ppid == pid]


def _in_group(group: int) -> list[int]:
    return [p for p, (_, pgrp, _) in _processes().items() if pgrp == group]


def _tree(root: Path) -> dict[str, bytes]:
    root.mkdir(parents=True, exist_ok=True)
    files = {}
    for i in range(FILES):
        path = root / f"pkg{i % 8}" / f"module_{i:03}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(MODULE, "utf-8")
        files[str(path.relative_to(root))] = MODULE.encode()
    return files


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(root: Path, *argv: str, whole_group: bool = True) -> tuple[subprocess.CompletedProcess[bytes], int]:
    """Start prunelint in its own process group, press Ctrl-C once its workers run (a terminal
    signals the whole group), and wait for it. Returns the result and the process group."""
    env = {k: v for k, v in os.environ.items() if k != "PRUNELINT_DEBUG"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "prunelint", "-j", "2", *argv],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True,
        # As from a terminal: a suite started in the background (`cmd &`, nohup) passes SIGINT
        # on as ignored, and Python then never turns Ctrl-C into KeyboardInterrupt.
        preexec_fn=_default_sigint,
    )
    try:
        # Bounds on a hang only: each wait ends in well under a second when nothing is wrong.
        deadline = time.monotonic() + 600
        # -j 2: this process and one forked worker.
        while not _children(proc.pid) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        time.sleep(0.2)  # into the middle of the work, not its start
        assert proc.poll() is None, "the run ended before it could be interrupted: make the tree bigger"
        assert _children(proc.pid), "no worker process started"
        if whole_group:
            os.killpg(proc.pid, signal.SIGINT)
        else:  # `kill -INT`, a process manager, `timeout -s INT`: only the parent is told
            os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), proc.pid


def _assert_clean_exit(result: subprocess.CompletedProcess[bytes], group: int) -> None:
    assert result.stderr.decode() == "error: interrupted\n"
    assert result.returncode == 130
    assert b"Traceback" not in result.stdout
    assert _in_group(group) == [], "worker processes outlived the interrupted run"


def _leftovers(root: Path, files: dict[str, bytes]) -> list[str]:
    """Files that are neither the tree's nor the cache's: temporary files left behind."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and str(p.relative_to(root)) not in files and ".prunelint_cache" not in p.parts
    ) + sorted(str(p) for p in root.rglob(".tmp-*"))


def test_ctrl_c_in_a_parallel_run(tmp_path: Path) -> None:
    files = _tree(tmp_path)
    result, group = _interrupt(tmp_path, "--no-cache")
    _assert_clean_exit(result, group)
    assert _leftovers(tmp_path, files) == []


def test_sigint_to_the_parent_alone_stops_the_workers(tmp_path: Path) -> None:
    files = _tree(tmp_path)
    result, group = _interrupt(tmp_path, "--no-cache", whole_group=False)
    _assert_clean_exit(result, group)
    assert _leftovers(tmp_path, files) == []


def test_ctrl_c_leaves_a_usable_cache(tmp_path: Path) -> None:
    files = _tree(tmp_path)
    result, group = _interrupt(tmp_path)
    _assert_clean_exit(result, group)
    assert _leftovers(tmp_path, files) == []
    # Whatever the cache holds after the interrupt, the next run trusts it and gets it right.
    env = {k: v for k, v in os.environ.items() if k != "PRUNELINT_DEBUG"}
    cached = subprocess.run(
        [sys.executable, "-m", "prunelint", "-q", "pkg0"], cwd=tmp_path, capture_output=True, env=env, timeout=600
    )
    assert cached.returncode == 1, cached.stderr
    assert cached.stdout.decode().count(" PRL001 ") == FILES // 8


def test_ctrl_c_during_fix_leaves_every_file_whole(tmp_path: Path) -> None:
    files = _tree(tmp_path)
    result, group = _interrupt(tmp_path, "--fix", "--no-cache")
    _assert_clean_exit(result, group)
    assert _leftovers(tmp_path, files) == []
    untouched = 0
    for name, original in files.items():
        data = (tmp_path / name).read_bytes()
        if data != original:  # fixed before the interrupt: then fixed completely
            ast.parse(data)
        else:
            untouched += 1
    # Ctrl-C stops the run: it does not go on with the queued work. Counted in files, not
    # seconds, so that a loaded machine cannot change the verdict: it slows the work and the
    # run alike. (The fixes are written after the whole tree is linted.)
    assert untouched > 0, "the interrupted run went on and fixed every file"
