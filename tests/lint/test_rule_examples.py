"""Each rule's own VALID and INVALID examples (Fixit's habit), run through the real engine."""

from __future__ import annotations

import textwrap

import pytest

from prunelint.settings.apidata import load_api_data
from prunelint.settings.config import Settings
from prunelint.engine.run import LintOptions, finalize, lint_sources
from prunelint.plugins.registry import load_rules
from prunelint.rules.base import Invalid
from prunelint.io.source import Source

RULES = load_rules()


def lint_text(code: str, text: str) -> list:
    options = LintOptions(
        settings=Settings(),
        rules=RULES,
        codes=frozenset({code}),
        api=load_api_data(),
    )
    source = Source("example.py", "/virtual/example.py", text)
    return finalize(lint_sources([source], options), options, {"example.py": text})


VALID = [(code, i, rule) for code, rule in RULES.rules.items() for i, _ in enumerate(rule.VALID)]
INVALID = [(code, i, rule) for code, rule in RULES.rules.items() for i, _ in enumerate(rule.INVALID)]


@pytest.mark.parametrize("code,index,rule", VALID, ids=[f"{c}-valid-{i}" for c, i, _ in VALID])
def test_valid_examples_are_not_flagged(code: str, index: int, rule) -> None:
    found = lint_text(code, textwrap.dedent(rule.VALID[index]))
    assert found == []


@pytest.mark.parametrize("code,index,rule", INVALID, ids=[f"{c}-invalid-{i}" for c, i, _ in INVALID])
def test_invalid_examples_are_flagged_on_their_line(code: str, index: int, rule) -> None:
    example: Invalid = rule.INVALID[index]
    found = lint_text(code, textwrap.dedent(example.source))
    assert [(d.code, d.location.row) for d in found] == [(example.code or code, example.line)]


@pytest.mark.parametrize("code", sorted(RULES.rules))
def test_every_rule_documents_itself(code: str) -> None:
    rule = RULES.rules[code]
    info = rule.info()
    assert rule.VALID and rule.INVALID, "a rule needs its own examples"
    assert info.summary and info.docs.startswith(f"### {code}")
    assert "Bad:" in info.docs and "Good:" in info.docs


@pytest.mark.parametrize("code", sorted(RULES.rules))
def test_docs_examples_behave(code: str) -> None:
    rule = RULES.rules[code]
    assert lint_text(code, textwrap.dedent(rule.BAD_EXAMPLE)), "the bad example must be flagged"
    assert not lint_text(code, textwrap.dedent(rule.GOOD_EXAMPLE)), "the good example must pass"


def test_readme_rule_reference_is_current() -> None:
    from pathlib import Path

    from prunelint.frontends.docs import with_rules

    readme = Path(__file__).resolve().parents[2] / "README.md"
    text = readme.read_text("utf-8")
    assert text == with_rules(text), "run `python -m prunelint.frontends.docs --write`"
