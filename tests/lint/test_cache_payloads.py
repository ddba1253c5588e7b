"""The cache holds data only: planted payloads run nothing, and the findings stay right.

The cache lives in the linted tree, where anyone can commit a file. Each payload below is planted
in place of the run's cache file (and beside it, under the first format's `.pickle` name); the
next run must ignore or refuse it, never unpickle anything, find exactly what a run without a
cache finds, and leave a good cache behind.
"""

from __future__ import annotations

import json
import os
import pickle
import time
from pathlib import Path

import pytest

from prunelint.engine import cache as cache_module
from prunelint.engine import records
from tests.lint.conftest import CLEAN, FINDING

OLD = time.time() - 3600
# A finding of the per-file step (stored in the cache with the file's facts), and one of the
# project step (recomputed from the facts on every run).
RATIO = "import torch_pruning as tp\n\npruner = tp.pruner.BasePruner(model, example_inputs, importance=imp, pruning_ratio=1.5)\n"
ANALYSED = ["a.py", "b.py", "c.py"]


@pytest.fixture
def no_unpickling(monkeypatch):
    """Any unpickling during a run fails the test (the runs here are in one process)."""

    def refuse(*args, **kwargs):
        raise AssertionError("the cache unpickled something")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)


def make_tree(write) -> None:
    for name, text in (("a.py", FINDING), ("b.py", CLEAN), ("c.py", RATIO), ("plain.py", "x = 1\n")):
        os.utime(write(name, text), (OLD, OLD))


def the_cache(root: Path) -> Path:
    (file,) = sorted((root / ".prunelint_cache").glob("*.json"))
    return file


class ReduceToPrunelint:
    """A REDUCE to one of prunelint's own functions: the first format's allow-list let it in."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        from prunelint.io.atomic import write_atomic

        return (write_atomic, (str(self.target), b"written by a planted cache\n"))


class ReduceToSystem:
    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


def huge_length_pickle() -> bytes:
    # BINUNICODE8 with a length of 2**62: an unpickler would try to read (or allocate) that much.
    return b"\x80\x04\x8d" + (2**62).to_bytes(8, "little") + b"x"


def pickles(root: Path) -> dict[str, bytes]:
    return {
        "reduce-to-prunelint": pickle.dumps((1, {"a.py": ReduceToPrunelint(root / "planted-by-prunelint")})),
        "reduce-to-os-system": pickle.dumps((1, {"a.py": ReduceToSystem(root / "planted-by-system")})),
        "huge-length": huge_length_pickle(),
    }


def test_planted_pickles_run_nothing(lint, write, tmp_path, parsed, no_unpickling):
    make_tree(write)
    expected = lint(".", "--no-cache")
    lint(".")  # writes the JSON cache
    file = the_cache(tmp_path)
    for name, payload in pickles(tmp_path).items():
        file.write_bytes(payload)
        file.with_suffix(".pickle").write_bytes(payload)  # where the first format kept it
        parsed.clear()
        result = lint(".")
        assert (result.out, result.err, result.code) == (expected.out, "", 1), name
        assert sorted(parsed) == ANALYSED, name  # nothing was taken from the payload
        assert not (tmp_path / "planted-by-prunelint").exists(), name
        assert not (tmp_path / "planted-by-system").exists(), name
        # The payload is replaced by a good cache, and old pickles are removed.
        assert json.loads(file.read_bytes())["format"] == cache_module.FORMAT
        assert not file.with_suffix(".pickle").exists()
        parsed.clear()
        assert lint(".").out == expected.out and parsed == []


def test_truncated_deep_and_oversized_files_are_ignored(lint, write, tmp_path, parsed, monkeypatch):
    make_tree(write)
    expected = lint(".", "--no-cache")
    lint(".")
    file = the_cache(tmp_path)
    good = file.read_bytes()
    planted = {
        "truncated": good[: len(good) // 2],
        "truncated-by-one": good[:-1],
        "deeply-nested": b"[" * 200_000 + b"]" * 200_000,
        "not-utf-8": b"\xff\xfe" + good,
        "huge-numbers": good.replace(b'"format":2', b'"format":' + b"9" * 5000),
    }
    for name, payload in planted.items():
        file.write_bytes(payload)
        parsed.clear()
        result = lint(".")
        assert (result.out, result.err) == (expected.out, ""), name
        assert sorted(parsed) == ANALYSED, name
    # Larger than the cap: not even read (the cap is lowered so that the test writes little).
    lint(".")
    monkeypatch.setattr(cache_module, "MAX_CACHE_BYTES", len(file.read_bytes()) - 1)
    parsed.clear()
    assert lint(".").out == expected.out and sorted(parsed) == ANALYSED


def mutations(data: dict) -> dict[str, dict]:
    """Well-formed JSON with the run's own key, each with one value of the wrong kind."""
    path = next(p for p, row in data["entries"].items() if p.endswith("c.py"))

    def changed(edit) -> dict:
        copy = json.loads(json.dumps(data))
        edit(copy["entries"][path], copy)
        return copy

    def result(row):
        return row[7]

    def first_finding(row):
        return result(row)[1][0]

    return {
        "digest-as-number": changed(lambda row, d: row.__setitem__(4, 12345)),
        "digest-too-long": changed(lambda row, d: row.__setitem__(4, "ab" * 10_000)),
        "mtime-as-string": changed(lambda row, d: row.__setitem__(1, "yesterday")),
        "negative-size": changed(lambda row, d: row.__setitem__(2, -1)),
        "huge-size": changed(lambda row, d: row.__setitem__(2, 10**40)),
        "word-index-out-of-range": changed(lambda row, d: row.__setitem__(5, 10**18)),
        "entry-too-short": changed(lambda row, d: row.pop()),
        "words-not-strings": changed(lambda row, d: d["words"].append([1, 2])),
        # The result is checked field by field when it is rebuilt: a bad one is analysed again.
        "result-not-a-pair": changed(lambda row, d: row.__setitem__(7, ["x"])),
        "row-as-string": changed(lambda row, d: first_finding(row)[3].__setitem__(0, "5")),
        "row-as-bool": changed(lambda row, d: first_finding(row)[3].__setitem__(0, True)),
        "extra-field": changed(lambda row, d: first_finding(row).append("more")),
        "unknown-applicability": changed(
            lambda row, d: first_finding(row).__setitem__(5, ["msg", [], "os.system"])
        ),
        "facts-path-as-number": changed(lambda row, d: result(row)[0].__setitem__(0, 7)),
        "class-name-in-data": changed(
            lambda row, d: row.__setitem__(7, [{"__class__": "os.system", "args": ["touch x"]}, []])
        ),
    }


def test_values_of_the_wrong_kind_are_refused(lint, write, tmp_path, parsed, no_unpickling):
    make_tree(write)
    expected = lint(".", "--no-cache")
    lint(".")
    file = the_cache(tmp_path)
    data = json.loads(file.read_bytes())
    for name, planted in mutations(data).items():
        file.write_text(json.dumps(planted), "utf-8")
        parsed.clear()
        result = lint(".")
        assert (result.out, result.err, result.code) == (expected.out, "", 1), name
        assert "c.py" in parsed, name  # the planted result was not used
    # The control: the untouched file answers every file without analysing any.
    file.write_text(json.dumps(data), "utf-8")
    parsed.clear()
    assert lint(".").out == expected.out and parsed == []


def test_a_cache_of_another_run_or_format_is_ignored(lint, write, tmp_path, parsed):
    make_tree(write)
    lint(".")
    file = the_cache(tmp_path)
    data = json.loads(file.read_bytes())
    for change in ({"key": "0" * 24}, {"format": 1}, {"entries": []}):
        file.write_text(json.dumps({**data, **change}), "utf-8")
        parsed.clear()
        lint(".")
        assert sorted(parsed) == ANALYSED, change


def test_records_round_trip_and_refuse_what_they_do_not_describe():
    from prunelint.analysis.facts import CallFact, ModuleFacts, Symbol
    from prunelint.analysis.gradmode import Mode, Origin
    from prunelint.diagnostics import Diagnostic, Edit, Fix, Position

    origin = Origin("`with torch.no_grad()`", "/x.py", 3)
    facts = ModuleFacts(
        "/x.py",
        calls=[CallFact(Symbol("external", "torch_pruning.pruner.MetaPruner"), "", 4, "", Mode(False, "inherit", origin), "tp")],
        exports={"p": Symbol("local", "p", wrapping="instance")},
    )
    finding = Diagnostic(
        "PRL001", "m", "x.py", Position(1, 2), Position(1, 3),
        fix=Fix("f", (Edit("", Position(1, 2), Position(1, 3)),), "unsafe"), cell=2,
    )
    hint = cache_module._result_hint()
    stored = json.loads(json.dumps(records.encode((facts, [finding]), hint)))
    assert records.decode(stored, hint) == (facts, [finding])
    # Mode's switches are a bool or a Literal: a string outside it is refused.
    bad = json.loads(json.dumps(stored))
    bad[0][1][0][4][0] = "sometimes"
    with pytest.raises(records.RecordError):
        records.decode(bad, hint)
    # A record that is not one of prunelint's own (a plugin's) has no plain form.
    from dataclasses import dataclass

    @dataclass
    class Foreign:
        x: int

    with pytest.raises(records.RecordError):
        records.encode(Foreign(1), Foreign)
