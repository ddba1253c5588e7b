"""Round 2 of reliability (issue 19): files too large to analyse, read-only files under --fix,
configuration errors that name the file and the key (docs/reliability.md)."""

from __future__ import annotations

import stat

import pytest

from tests.lint.conftest import FINDING


def test_a_file_over_max_file_size_is_a_finding_and_the_run_goes_on(lint, write):
    write("pyproject.toml", '[tool.prunelint]\nmax-file-size = "1KiB"\n')
    write("big.py", FINDING + "#" * 2000 + "\n")
    write("a.py", FINDING)
    result = lint(".", "--no-cache")
    assert result.code == 1
    assert result.locations() == ["a.py:5:14 PRL001", "big.py:1:1 PRL000"]
    assert "too large to analyse" in result.out and "max-file-size" in result.out


def test_stdin_over_the_limit(lint, write):
    write("pyproject.toml", "[tool.prunelint]\nmax-file-size = 100\n")
    result = lint("-", "--stdin-filename", "s.py", stdin=(FINDING * 3).encode())
    assert "s.py:1:1: PRL000 too large to analyse" in result.out


def test_a_read_only_file_is_reported_and_not_written(lint, write):
    path = write("a.py", FINDING.replace("BasePruner", "MetaPruner"))
    path.chmod(0o444)
    before = path.read_bytes()
    on_disk = lint(".", "--no-cache", "--output-format", "concise").locations()
    result = lint(".", "--fix", "--no-cache", "--output-format", "concise")
    assert path.read_bytes() == before
    assert result.locations() == on_disk, "the findings printed are those of the text on disk"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert "a.py: not written: the file is read-only (mode 0444)" in result.err
    assert result.code == 1


@pytest.mark.parametrize(
    "config, key",
    [
        ('extend-exclude = ["[z-a]"]', "`extend-exclude` has an invalid pattern '[z-a]'"),
        ('exclude = ["[z-a]"]', "`exclude` has an invalid pattern '[z-a]'"),
        ('[tool.prunelint.per-file-ignores]\n"[z-a]" = ["PRL001"]', "`per-file-ignores` has an invalid pattern '[z-a]'"),
        ('select = [""]', "`select` has an empty name"),
        ('extend-pruner-classes = ["  "]', "`extend-pruner-classes` has an empty name"),
        ('max-file-size = "lots"', "`max-file-size` must be a positive number of bytes"),
    ],
)
def test_config_errors_name_the_file_and_the_key(lint, write, config, key):
    write("pyproject.toml", "[tool.prunelint]\n" + config + "\n")
    write("a.py", FINDING)
    result = lint(".")
    assert result.code == 2
    assert "pyproject.toml: " in result.err and key in result.err, result.err
    assert "internal error" not in result.err


def test_a_bad_glob_on_the_command_line(lint, write):
    write("a.py", FINDING)
    result = lint(".", "--isolated", "--extend-exclude", "[z-a]")
    assert result.code == 2 and "command line: `--extend-exclude` has an invalid pattern '[z-a]'" in result.err


def test_a_long_selector_is_echoed_at_a_bounded_length(lint, write):
    write("a.py", FINDING)
    result = lint(".", "--isolated", "--select", "PRLX" * 5000)
    assert result.code == 2 and "(20000 characters)" in result.err
    assert len(result.err) < 1000


def test_fix_removes_the_temporaries_a_killed_run_left(lint, write, tmp_path):
    """kill -9 in the middle of a write leaves `.<name>.<pid>-XXXXXXXX.prunelint-fix`; the next
    run that writes to the folder removes those whose writer is gone, and no other file."""
    import os
    import subprocess
    import sys
    import time

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    write("pkg/a.py", FINDING.replace("BasePruner", "MetaPruner"))
    stale = write(f"pkg/.a.py.{dead_pid}-k2j4h5g6.prunelint-fix", "half a file")
    old_style = write("pkg/.b.py.q1w2e3r4.prunelint-fix", "half a file")
    hour_ago = time.time() - 7200
    os.utime(old_style, (hour_ago, hour_ago))
    live = write(f"pkg/.c.py.{os.getpid()}-z9x8c7v6.prunelint-fix", "being written")
    fresh_old_style = write("pkg/.d.py.a1s2d3f4.prunelint-fix", "being written")
    unrelated = write("pkg/.e.py.notours", "x")
    elsewhere = write(f"other/.f.py.{dead_pid}-k2j4h5g6.prunelint-fix", "half a file")
    result = lint(".", "--fix", "--no-cache")
    assert "Fixed 1 error" in result.out or "1 fixed" in result.out, result.out
    assert not stale.exists() and not old_style.exists()
    assert live.exists() and fresh_old_style.exists() and unrelated.exists()
    assert elsewhere.exists(), "a folder nothing was written to is left alone"
    # A fix's own temporary is renamed over the file: none is left beside it.
    assert sorted(p.name for p in (tmp_path / "pkg").iterdir()) == sorted(
        ["a.py", live.name, fresh_old_style.name, unrelated.name]
    )


from prunelint.engine import step as _step

_ANALYSE = _step.analyse


def _logged_analyse(source, *args, **kwargs):
    """step.analyse, noting the file and the process (module level: the pool pickles it)."""
    import os

    with open(os.environ["PRUNELINT_TEST_ANALYSED"], "a") as handle:
        handle.write(f"{source.filename} {os.getpid()}\n")
    return _ANALYSE(source, *args, **kwargs)


def test_large_files_are_analysed_one_at_a_time_after_the_workers(lint, write, tmp_path, monkeypatch):
    """With -j 2, files over `LARGE_TEXT` are analysed in the parent once its worker is gone, so
    that two of them never hold their trees at once; the findings are the same."""
    import os

    from prunelint.engine import run as engine

    for i in range(6):
        write(f"small_{i}.py")
    write("big_a.py", FINDING + "#" * 400 + "\n")
    write("big_b.py", FINDING + "#" * 400 + "\n")
    serial = lint(".", "--no-cache", "-j", "1").locations()
    log = tmp_path.parent / f"{tmp_path.name}-analysed.log"
    monkeypatch.setenv("PRUNELINT_TEST_ANALYSED", str(log))
    monkeypatch.setattr(_step, "analyse", _logged_analyse)
    monkeypatch.setattr(engine, "LARGE_TEXT", 300)
    parallel = lint(".", "--no-cache", "-j", "2").locations()
    assert parallel == serial and len(serial) == 8
    seen = [line.split() for line in log.read_text().splitlines()]
    assert sorted(name for name, _ in seen) == sorted(["big_a.py", "big_b.py"] + [f"small_{i}.py" for i in range(6)])
    assert [name for name, _ in seen[-2:]] == ["big_a.py", "big_b.py"], "the large files come last"
    assert {pid for name, pid in seen if name.startswith("big")} == {str(os.getpid())}
