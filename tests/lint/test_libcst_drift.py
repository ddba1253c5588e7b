"""prunelint reads libcst's trees through three of its internals: the child order in the
bytecode of `_visit_and_replace_children` (traversal.py), the `CSTNode.__post_init__` swap
(parse.py) and its private code generator state (positions.py). A libcst that changes one of
them must not make rules go silent: each has a fallback, the first and last with a
LibcstDriftWarning. These tests break each internal and lint as a user would."""
import types
import warnings

import libcst
import pytest

from prunelint import api
from prunelint.analysis import parse, positions, traversal

SOURCE = '''import torch
import torch_pruning as tp

with torch.no_grad():
    pruner = tp.pruner.BasePruner(model, x, importance=imp, ignored_layers=[model.fc])
'''


def _findings() -> list[tuple[str, int, int]]:
    options = api.configure(api.Settings(), jobs=1)
    report = api.check_text(SOURCE, "drift.py", options)
    return [(d.code, d.location.row, d.location.column) for d in report.diagnostics]


def _clear_caches() -> None:
    for cached in (traversal.child_fields, traversal.trivia_only_fields, traversal._hints,
                   positions._searched_fields, positions._searched_fields_skipping_trivia):
        cached.cache_clear()


@pytest.fixture
def expected() -> list[tuple[str, int, int]]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", traversal.LibcstDriftWarning)  # none on the tested libcst
        found = _findings()
    assert ("PRL001", 5, 14) in found
    return found


def test_a_child_order_the_bytecode_no_longer_gives(monkeypatch, expected) -> None:
    monkeypatch.setattr(traversal, "_bytecode_order", lambda kind: ())
    _clear_caches()
    try:
        with pytest.warns(traversal.LibcstDriftWarning, match="declaration order"):
            found = _findings()
    finally:
        monkeypatch.undo()
        _clear_caches()
    assert found == expected


def test_a_code_generator_state_it_cannot_subclass(monkeypatch, expected) -> None:
    def broken(*args, **kwargs):
        raise AttributeError("'CodegenState' object has no attribute 'tokens'")

    monkeypatch.setattr(positions, "_recorded_ranges", broken)
    with pytest.warns(traversal.LibcstDriftWarning, match="PositionProvider"):
        found = _findings()
    assert found == expected


def test_a_libcst_whose_nodes_check_themselves_elsewhere(monkeypatch) -> None:
    stand_in = types.SimpleNamespace(CSTNode=type("CSTNode", (), {}), parse_module=libcst.parse_module)
    monkeypatch.setattr(parse, "cst", stand_in)
    text = "x = f(1, *a, **k)  # comment\n"
    assert parse.parse_module(text).deep_equals(libcst.parse_module(text))
