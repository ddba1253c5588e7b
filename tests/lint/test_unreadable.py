"""Paths that cannot be read or written, as an unprivileged user meets them (issue 19).

Sessions and CI run as root, and root reads and writes everything: these tests run prunelint
without the capabilities that let it (DAC override, DAC read search, fowner), through
`setpriv`, or as they are when the suite is not run as root. A check first proves that the
child really cannot read a mode-0000 file; otherwise the tests would test nothing, and they
are skipped with that reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lint.conftest import FINDING, Result, _check

_CAPS = "-dac_override,-dac_read_search,-fowner"


def _prefix() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: root would read everything")
    return [setpriv, f"--inh-caps={_CAPS}", f"--bounding-set={_CAPS}"]


@pytest.fixture
def unprivileged(tmp_path: Path):
    """`python -m prunelint ARGS` without the rights to read what its modes forbid."""
    prefix = _prefix()
    probe = tmp_path / "probe"
    probe.write_text("secret")
    probe.chmod(0)
    check = subprocess.run([*prefix, sys.executable, "-c", f"open({str(probe)!r}).read()"], capture_output=True)
    probe.chmod(0o600)
    probe.unlink()
    if check.returncode == 0:
        pytest.skip("the child can still read a mode-0000 file: the capabilities could not be dropped")

    def run(*argv: str, cwd: Path | None = None) -> Result:
        env = {k: v for k, v in os.environ.items() if k != "PRUNELINT_DEBUG"}
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "prunelint", "--no-cache", *argv],
            cwd=cwd or tmp_path, capture_output=True, env=env, stdin=subprocess.DEVNULL,
        )
        return _check(Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode()))

    yield run
    for path in tmp_path.rglob("*"):  # let pytest remove the tree
        if not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)


@pytest.fixture
def locked(tmp_path: Path):
    """Folders and files whose mode is restored once the test is over."""
    changed: list[Path] = []

    def lock(path: Path, mode: int = 0) -> Path:
        changed.append(path)
        path.chmod(mode)
        return path

    yield lock
    for path in reversed(changed):
        path.chmod(0o755 if path.is_dir() else 0o644)


def test_a_folder_in_the_tree_that_cannot_be_read(unprivileged, locked, write):
    write("a.py")
    write("pkg/secret/b.py")
    locked(Path(write("pkg/ok.py")).parent / "secret")
    result = unprivileged(".")
    assert result.locations() == ["a.py:5:14 PRL001", "pkg/ok.py:5:14 PRL001", "pkg/secret:1:1 PRL000"]
    assert "pkg/secret:1:1: PRL000 cannot read: permission denied" in result.out
    assert result.code == 1
    assert "All checks passed" not in result.out


def test_a_folder_named_on_the_command_line_that_cannot_be_read(unprivileged, locked, write):
    write("a.py")
    locked(write("pkg/b.py").parent)
    result = unprivileged("pkg", "a.py")
    assert result.locations() == ["a.py:5:14 PRL001", "pkg:1:1 PRL000"]
    assert "pkg:1:1: PRL000 cannot read: permission denied" in result.out
    assert "internal error" not in result.err
    assert result.code == 1


def test_a_file_in_a_folder_that_cannot_be_searched(unprivileged, locked, write):
    locked(write("pkg/b.py").parent)
    result = unprivileged("pkg/b.py", "pkg/missing.py")
    # It may exist: not "no such file", as for one that surely does not.
    assert "pkg/b.py:1:1: PRL000 cannot read: permission denied" in result.out
    assert "no such file" not in result.out.split("pkg/b.py", 1)[1].splitlines()[0]
    assert result.code == 1


def test_a_file_that_cannot_be_read(unprivileged, locked, write):
    write("a.py")
    locked(write("b.py"))
    result = unprivileged(".")
    assert result.locations() == ["a.py:5:14 PRL001", "b.py:1:1 PRL000"]
    assert "permission denied" in result.out.lower()
    assert result.code == 1


FIXABLE = FINDING.replace("BasePruner", "MetaPruner")


def test_fix_in_a_folder_that_cannot_be_written_reports_the_findings_on_disk(unprivileged, locked, write, tmp_path):
    path = write("pkg/a.py", FIXABLE)
    write("b.py", FIXABLE)
    on_disk = unprivileged(".", "--output-format", "concise")
    locked(path.parent, 0o555)
    result = unprivileged(".", "--fix", "--output-format", "concise")
    assert "pkg/a.py: not written: Permission denied" in result.err, result.err
    assert path.read_text() == FIXABLE
    # The written file's findings are those of its fixed text, the unwritten one's those on disk.
    fixed_b = unprivileged("b.py", "--output-format", "concise")
    assert [line for line in result.locations() if line.startswith("pkg/")] == [
        line for line in on_disk.locations() if line.startswith("pkg/")
    ]
    assert [line for line in result.locations() if line.startswith("b.py")] == fixed_b.locations()
    assert (tmp_path / "b.py").read_text() != FIXABLE
    assert result.code == 1
