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
from prunelint.diagnostics import MAX_HEADLINE
from prunelint.fix.fixer import _apply, _Offsets, _ranges
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

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


@pytest.mark.parametrize("code,index,rule", INVALID, ids=[f"{c}-invalid-{i}" for c, i, _ in INVALID])
def test_the_fix_beside_an_example_is_what_the_fix_makes(code: str, index: int, rule) -> None:
    """An example whose finding has a fix shows the source once fixed; one without shows none."""
    example: Invalid = rule.INVALID[index]
    text = textwrap.dedent(example.source)
    (found,) = lint_text(code, text)
    if found.fix is None or not found.fix.edits:
        assert example.fixed is None, "the finding has no fix to show"
        return
    assert example.fixed is not None, "a fixable example shows its fixed source (`fixed=`)"
    fixed = _apply(text, [_ranges(found.fix, _Offsets(text))])
    assert fixed == textwrap.dedent(example.fixed)
    # The fixed source is clean for the rule.
    assert [d for d in lint_text(code, fixed) if d.code == found.code] == []


@pytest.mark.parametrize("code", sorted(RULES.rules))
def test_every_rule_documents_itself(code: str) -> None:
    rule = RULES.rules[code]
    info = rule.info()
    assert rule.VALID and rule.INVALID, "a rule needs its own examples"
    assert info.summary and info.docs.startswith(f"# {code}")
    assert "## Flagged" in info.docs and "## Not flagged" in info.docs
    assert not hasattr(rule, "BAD_EXAMPLE") and not hasattr(rule, "GOOD_EXAMPLE"), "examples live in VALID/INVALID"


@pytest.mark.parametrize("code", sorted(RULES.rules))
def test_a_message_headline_fits_a_line(code: str) -> None:
    """The concise line is the message's first sentence, never cut at 150 characters."""
    rule = RULES.rules[code]
    for example in rule.INVALID:
        for found in lint_text(code, textwrap.dedent(example.source)):
            assert not found.headline.endswith("…") and len(found.headline) <= MAX_HEADLINE, found.message
            assert found.headline.endswith("."), found.headline


def test_committed_rule_docs_are_current() -> None:
    from prunelint.frontends.docs import main

    assert main(["--root", str(ROOT)]) == 0, "run `python -m prunelint.frontends.docs --write`"


def test_every_rule_url_names_a_file_of_the_repository() -> None:
    import subprocess

    from prunelint import REPOSITORY_URL

    prefix = f"{REPOSITORY_URL}/blob/main/"
    tracked = set(subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split())
    for info in RULES.infos().values():
        assert info.url.startswith(prefix), info.url
        path = info.url[len(prefix):]
        assert (ROOT / path).is_file(), f"{info.code}: {info.url} names no file"
        if tracked:
            assert path in tracked, f"{info.code}: {path} is not committed"
