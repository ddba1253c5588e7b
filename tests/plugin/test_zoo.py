"""The plugin's verdict on every zoo model against the label bare Torch-Pruning gave it.

Labels are read from bench/zoo_labels.json (written by bench/zoo_labels.py, which never
imports pytest_prune); the plugin itself never reads them. All zoo models go through the
`prune_check` fixture in one pytester session, as a user's test suite would run them.

PRUNE_ZOO_RESULTS=<file> makes the test write what it saw, for bench/zoo_table.py.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict

import pytest

pytest.importorskip("transformers")

import zoo  # noqa: E402

LABELS_FILE = Path(__file__).resolve().parents[2] / "bench" / "zoo_labels.json"

INNER = '''
import pytest
import zoo

DEFAULT = {default!r}
MANY = {many!r}

# Failed checks re-run with the settings their hints propose (at most 2 re-runs each).
pytestmark = pytest.mark.prune(verify_suggestions=True)


@pytest.mark.parametrize("name", DEFAULT)
def test_default(prune_check, name):
    entry = zoo.BY_NAME[name]
    model, inputs = entry.build()
    prune_check(model, inputs, **entry.check_options())


@pytest.mark.parametrize("name", MANY)
def test_probes20(prune_check, name):
    entry = zoo.BY_NAME[name]
    model, inputs = entry.build()
    prune_check(model, inputs, probes=20, **entry.check_options())
'''


def _labels() -> Dict[str, Any]:
    return json.loads(LABELS_FILE.read_text())["models"]


def expected_pass(name: str, label: Dict[str, Any]) -> bool:
    """Passing is right when bare Torch-Pruning prunes the model with the settings the plugin uses:
    its defaults, or a route it takes by itself for this kind of model (judged here from the
    model, independently of the plugin's code)."""
    if label["label"] == "prunable":
        return True
    route = label.get("prunable_with")
    if route is None:
        return False
    model, _ = zoo.BY_NAME[name].build()
    if route == "gqa":
        config = model.config
        return config.num_key_value_heads < config.num_attention_heads
    if route == "head_dims":
        return zoo.has_per_head_table(model)
    return False


def _field(text: str, key: str) -> str:
    for line in text.splitlines():
        if line.strip().startswith(key):
            return line.split(":", 1)[1].strip()
    return ""


@pytest.mark.zoo
def test_zoo_verdicts_match_bare_torch_pruning(pytester: pytest.Pytester) -> None:
    labels = _labels()
    assert set(labels) == {e.name for e in zoo.ZOO}, "bench/zoo_labels.json is out of date: rerun bench/zoo_labels.py"
    many = [n for n, lab in labels.items() if lab["label"] == "breaks for some choices"]
    pytester.makepyfile(test_inner=INNER.format(default=[e.name for e in zoo.ZOO], many=many))
    reprec = pytester.inline_run("-p", "no:cacheprovider")
    reports = [r for r in reprec.getreports("pytest_runtest_logreport") if r.when == "call" or r.outcome != "passed"]
    seen: Dict[str, Dict[str, Any]] = {}
    for r in reports:
        kind, name = r.nodeid.split("::")[1].split("[")
        name = name.rstrip("]")
        text = str(r.longrepr) if r.failed else ""
        props = dict(r.user_properties)
        summary = json.loads(props["prune_check"]) if "prune_check" in props else {}
        seen[f"{kind}:{name}"] = {"outcome": r.outcome, "stage": _field(text, "what broke"),
                                  "error": _field(text, "error"), "text": text, "summary": summary,
                                  "hints": [line.split(":", 1)[1].strip() for line in text.splitlines()
                                            if line.strip().startswith("hint")],
                                  "suggestions": [line.split(":", 1)[1].strip() for line in text.splitlines()
                                                  if line.strip().startswith("suggestion")]}
    wrong = []
    for name, label in labels.items():
        got = seen[f"test_default:{name}"]
        if got["outcome"] == "failed":
            # Always a diagnosis, never a traceback or an internal error.
            assert "cannot be pruned consistently" in got["text"], (name, got["text"][:2000])
            assert "Traceback" not in got["text"] and "INTERNALERROR" not in got["text"], name
        want = expected_pass(name, label)
        if label["label"] == "breaks for some choices":
            many_got = seen[f"test_probes20:{name}"]
            got["probes20"] = many_got["outcome"]
            if many_got["outcome"] != "failed":
                wrong.append(f"{name}: breaks for {label['choices_broken']}/{label['choices_run']} bare choices, "
                             f"but probes=20 passed")
            continue
        if want and got["outcome"] != "passed":
            wrong.append(f"{name}: bare Torch-Pruning label {label['label']!r}, the check failed: "
                         f"{got['stage']}: {got['error']}")
        if not want and got["outcome"] != "failed":
            wrong.append(f"{name}: bare Torch-Pruning label {label['label']!r}, the check passed")
    out = os.environ.get("PRUNE_ZOO_RESULTS")
    if out:
        Path(out).write_text(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "text"}
                                         for k, v in seen.items()}, indent=1) + "\n")
    assert not wrong, "\n".join(wrong)


def test_expected_pass_follows_the_labels() -> None:
    """The rule above, on made-up labels: a route counts only for the models it applies to."""
    assert expected_pass("bert", {"label": "prunable"})
    assert not expected_pass("bert", {"label": "breaks always", "prunable_with": None})
    assert expected_pass("llama_gqa", {"label": "crashes or hangs", "prunable_with": "gqa"})
    assert not expected_pass("llama", {"label": "crashes or hangs", "prunable_with": "gqa"})
    assert expected_pass("t5", {"label": "breaks always", "prunable_with": "head_dims"})
    assert not expected_pass("bert", {"label": "breaks always", "prunable_with": "head_dims"})
