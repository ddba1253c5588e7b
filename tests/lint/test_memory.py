"""A file's tree is freed by reference counting as soon as its analysis ends.

`analyse` pauses the cyclic collector while it works (a parsed tree is hundreds of thousands of
objects, and every collection the parse triggers would rescan them). That is only sound if the
analysis makes no reference cycles: a cycle through one libcst node would keep the whole tree,
and everything the rules built for it, alive until some later full collection.
"""

from __future__ import annotations

import gc
from pathlib import Path

import libcst as cst
import pytest

from prunelint.engine.step import analyse, collection_paused
from prunelint.settings.apidata import load_api_data
from prunelint.plugins.registry import load_rules
from prunelint.io.source import Source

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "fixtures").rglob("*.py")) + sorted((ROOT / "examples").rglob("*.py"))


def _ours_or_libcst(obj: object) -> bool:
    return isinstance(obj, cst.CSTNode) or type(obj).__module__.startswith("prunelint")


def test_samples_exist() -> None:
    assert len(SAMPLES) > 20


def test_analysis_leaves_no_cyclic_garbage() -> None:
    rules = load_rules()
    cst_rules = rules.cst_rules(frozenset(rules.rules))
    api = load_api_data()
    gc.collect()
    gc.disable()
    try:
        results = [analyse(Source(p.name, str(p), p.read_text(encoding="utf-8")), api, cst_rules) for p in SAMPLES]
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        leaked = [type(o).__qualname__ for o in gc.garbage if _ours_or_libcst(o)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert sum(r.facts is not None for r in results) > 20  # the samples were really analysed
    assert leaked == []


@pytest.mark.parametrize("enabled", [True, False])
def test_collection_paused_restores_the_collector_state(enabled: bool) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with collection_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(KeyError):
            with collection_paused():
                raise KeyError("x")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
