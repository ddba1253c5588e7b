"""prunelint's parse (libcst's, with the node checks off for the parse) against libcst's own."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given, settings

from prunelint.analysis.parse import parse_module
from pysplice import any_module
from test_properties import _profile
from test_traversal import EVERY_SYNTAX

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "fixtures").rglob("*.py")) + sorted((ROOT / "prunelint").rglob("*.py"))


def _same_as_libcst(text: str) -> None:
    try:
        expected = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        with pytest.raises(cst.ParserSyntaxError) as ours:
            parse_module(text)
        assert (ours.value.message, ours.value.raw_line, ours.value.raw_column) == (
            exc.message,
            exc.raw_line,
            exc.raw_column,
        )
        return
    module = parse_module(text)
    assert module.deep_equals(expected)
    assert module.code == text


def _checks_are_on() -> bool:
    try:
        cst.Name("not an identifier")
    except cst.CSTValidationError:
        return True
    return False


def test_every_syntax_parses_as_libcst_parses_it() -> None:
    _same_as_libcst(EVERY_SYNTAX)


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_repository_files_parse_as_libcst_parses_them(path: Path) -> None:
    # PRL000's fixtures are files that do not parse: the errors must be libcst's too.
    _same_as_libcst(path.read_text(encoding="utf-8", errors="surrogateescape"))


def test_generated_programs_parse_as_libcst_parses_them(request: pytest.FixtureRequest) -> None:
    @settings(_profile(request))
    @given(any_module())
    def check(source: str) -> None:
        _same_as_libcst(source)

    check()


def test_node_checks_are_back_on_after_a_parse() -> None:
    assert _checks_are_on()
    parse_module("x = 1\n")
    assert _checks_are_on()
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("x = = 1\n")
    assert _checks_are_on()

