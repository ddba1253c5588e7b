"""The `.prunelint_cache`: same findings as without it, invalidated by what changes a result,
silent when broken, and absent with --no-cache."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import pytest

from tests.lint.conftest import CLEAN, FINDING

OLD = time.time() - 3600  # older than the racy window: size and time vouch for the file


def tree(write) -> None:
    for name, text in (("a.py", FINDING), ("b.py", CLEAN), ("plain.py", "x = 1\n")):
        path = write(name, text)
        os.utime(path, (OLD, OLD))


def cache_files(root: Path) -> list[Path]:
    return sorted((root / ".prunelint_cache").glob("*.json"))


def test_second_run_parses_nothing_and_finds_the_same(lint, write, tmp_path, parsed):
    tree(write)
    first = lint(".")
    assert sorted(parsed) == ["a.py", "b.py"]  # plain.py never mentions torch_pruning
    parsed.clear()
    second = lint(".")
    assert parsed == []
    assert second.out == first.out and second.code == first.code == 1
    assert first.locations() == ["a.py:5:14 PRL001"]
    assert (tmp_path / ".prunelint_cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_unchanged_files_are_not_even_read(lint, write, monkeypatch, parsed):
    tree(write)
    lint(".")
    opened: list[str] = []
    real_open = open

    def spy(file, *args, **kwargs):
        if str(file).endswith(".py"):
            opened.append(os.path.basename(str(file)))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy)
    result = lint(".")
    # Only the file with a finding is read, for its `# noqa` comments.
    assert opened == ["a.py"]
    assert result.locations() == ["a.py:5:14 PRL001"]


def test_a_changed_file_is_parsed_again(lint, write, parsed):
    tree(write)
    lint(".")
    parsed.clear()
    write("b.py", FINDING)  # now: a fresh modification time, a new content
    result = lint(".")
    assert parsed == ["b.py"]
    assert result.locations() == ["a.py:5:14 PRL001", "b.py:5:14 PRL001"]


def test_same_size_and_time_but_new_content_within_the_racy_window(lint, write, parsed):
    """Rewritten within the same timestamp tick, with the same size: the content decides."""
    path = write("a.py", FINDING)
    lint(".")
    stat = path.stat()
    path.write_text(FINDING.replace("no_grad", "NO_GRAD"), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    parsed.clear()
    result = lint(".")
    assert parsed == ["a.py"]
    assert result.locations() == []


def test_a_new_prefilter_word_reads_the_files_again(lint, write, parsed):
    """A file left unparsed because it mentions no known word is parsed once another file
    makes one of its words matter (a local builder function)."""
    write("pkg/__init__.py", "")
    builder = write("pkg/builders.py", "import torch_pruning as tp\n\ndef make(model, x):\n    return tp.pruner.BasePruner(model, x)\n")
    user = write("pkg/use.py", "import torch\nfrom pkg.builders import make\n\nwith torch.no_grad():\n    p = make(model, x)\n")
    for path in (builder, user):
        os.utime(path, (OLD, OLD))
    first = lint(".")
    assert "pkg/use.py:5:9 PRL001" in first.locations()
    parsed.clear()
    second = lint(".")
    assert parsed == [] and second.out == first.out


def test_configuration_and_rule_selection_have_their_own_entries(lint, write, tmp_path, parsed):
    tree(write)
    lint(".")
    parsed.clear()
    assert lint(".", "--select", "PRL001").locations() == ["a.py:5:14 PRL001"]
    assert sorted(parsed) == ["a.py", "b.py"]  # another selection: not answered from the first
    parsed.clear()
    write("pyproject.toml", '[tool.prunelint]\ngrad-disabling-decorators = ["my_no_grad"]\n')
    lint(".")
    assert sorted(parsed) == ["a.py", "b.py"]
    assert len(cache_files(tmp_path)) == 3


def test_a_corrupt_cache_is_ignored_silently(lint, write, tmp_path):
    tree(write)
    expected = lint(".")
    for garbage in (b"", b"not json", b"{}", b"[1, 2]", b'{"format": 2}', pickle.dumps({"a": 1})):
        for file in cache_files(tmp_path):
            file.write_bytes(garbage)
        result = lint(".")
        assert (result.out, result.err, result.code) == (expected.out, "", 1)


def test_an_unwritable_cache_folder_is_ignored(lint, write, tmp_path):
    tree(write)
    write("pyproject.toml", '[tool.prunelint]\ncache-dir = "blocker/cache"\n')
    write("blocker", "a file where the folder should be")
    result = lint(".")
    assert result.locations() == ["a.py:5:14 PRL001"] and result.err == ""


def test_no_cache_writes_nothing(lint, write, tmp_path, parsed):
    tree(write)
    lint(".", "--no-cache")
    lint(".", "--no-cache")
    assert not (tmp_path / ".prunelint_cache").exists()
    assert sorted(parsed) == ["a.py", "a.py", "b.py", "b.py"]


def test_cache_false_in_the_configuration(lint, write, tmp_path):
    tree(write)
    write("pyproject.toml", "[tool.prunelint]\ncache = false\n")
    lint(".")
    assert not (tmp_path / ".prunelint_cache").exists()


def test_same_findings_with_parallel_jobs(lint, write, parsed):
    for index in range(20):
        write(f"m{index}.py", FINDING if index % 3 == 0 else CLEAN)
    cold = lint(".", "-j", "2")
    warm = lint(".", "-j", "2")
    plain = lint(".", "--no-cache", "-j", "1")
    assert cold.out == warm.out == plain.out
    assert len(cold.locations()) == 7
