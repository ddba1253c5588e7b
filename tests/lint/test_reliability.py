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
    result = lint(".", "--fix", "--no-cache")
    assert path.read_bytes() == before
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
