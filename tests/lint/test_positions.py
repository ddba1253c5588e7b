"""`prunelint.analysis.positions.node_ranges` against libcst's PositionProvider, node for node.

node_ranges records only the nodes asked for and stops writing the module once it has them, so
it is checked with every node at once, with small random sets, and with single nodes near the
end of the file (where the early stop and the module's trailing newline matter).
"""

from __future__ import annotations

import ast
import dataclasses
import random
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from prunelint.analysis.positions import StatementLines, node_ranges
from test_traversal import EVERY_SYNTAX

ROOT = Path(__file__).resolve().parents[2]

NEWLINE_SAMPLES = {
    "crlf": "import torch\r\nwith torch.no_grad():\r\n    x = f(a,\r\n          b)\r\n",
    "cr": "import torch\rwith torch.no_grad():\r    x = f(a,\r          b)\r",
    "mixed": "a = 1\r\nb = (2,\r    3)\nc = f(\r\n)\r",
    "no final newline": "def f():\n    return g(x)",
    "only a comment": "# nothing\n",
    "empty": "",
    "continuation": "x = 1 + \\\n    2\ny = [\n  # c\n  3,\n]\n",
    "tabs": "if x:\n\tif y:\n\t\tz = call(a)\n",
}


def _reference(module: cst.Module) -> dict[cst.CSTNode, object]:
    return dict(MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))


def _lines(module: cst.Module) -> StatementLines | None:
    """None for syntax newer than this Python's (EVERY_SYNTAX's `type` statement)."""
    try:
        return StatementLines.from_tree(module.code, ast.parse(module.code))
    except SyntaxError:
        return None


def _shifted(lines: StatementLines | None) -> StatementLines | None:
    """Statement lines that are wrong: every statement placed one line late."""
    if lines is None:
        return None
    return dataclasses.replace(lines, first_lines=tuple(n + 1 for n in lines.first_lines))


def _check(module: cst.Module, seed: int = 0) -> int:
    """Every node, random sets and the last few nodes, without statement lines, with the true
    ones (only the statements holding the nodes are written) and with wrong ones (caught)."""
    reference = _reference(module)
    nodes = list(reference)
    hints = [None, _lines(module), _shifted(_lines(module))]
    for lines in hints:
        assert node_ranges(module, nodes, lines) == reference
    rng = random.Random(seed)
    for size in (1, 2, 5):
        for _ in range(10):
            chosen = rng.sample(nodes, min(size, len(nodes)))
            for lines in hints:
                assert node_ranges(module, chosen, lines) == {node: reference[node] for node in chosen}
    for node in nodes[-5:]:  # the module itself, the last statement, the trailing newline
        for lines in hints:
            assert node_ranges(module, [node], lines) == {node: reference[node]}
    return len(nodes)


@pytest.mark.parametrize("name", sorted(NEWLINE_SAMPLES))
def test_line_endings_and_layouts(name: str) -> None:
    module = cst.parse_module(NEWLINE_SAMPLES[name])
    assert _check(module) >= 1


def test_every_syntax() -> None:
    assert _check(cst.parse_module(EVERY_SYNTAX)) > 500


@pytest.mark.parametrize(
    "path",
    [p for p in sorted((ROOT / "fixtures").rglob("*.py")) if "prl000" not in p.parts]
    + sorted((ROOT / "prunelint").rglob("*.py"))[::3],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_repository_files(path: Path) -> None:
    _check(cst.parse_module(path.read_bytes()), seed=len(path.name))


def test_no_nodes_asked_for() -> None:
    assert node_ranges(cst.parse_module("x = 1\n"), []) == {}


def test_a_node_of_another_tree_is_not_found() -> None:
    stranger = cst.parse_module("y = 2\n").body[0]
    ranges = node_ranges(cst.parse_module("x = 1\n"), [stranger])
    assert stranger not in ranges


def test_statement_lines_pair_libcsts_statements_with_cpythons() -> None:
    text = "# header\n\nimport a; import b\n\n# c1\n@d\n# c2\n@e(\n  1)\ndef f():\n    pass\nx = 1\n"
    module = cst.parse_module(text)
    lines = _lines(module)
    assert lines is not None
    assert lines.first_lines == (3, 3, 6, 12)  # two statements on line 3; `def f` from its `@d`
    assert lines.starts(module) == [3, 4, 12]  # `@d`'s statement owns the blank and comment lines
    assert lines.line_offsets[:3] == [0, 9, 10]


def test_statement_lines_of_another_text_do_not_pair() -> None:
    module = cst.parse_module("a = 1\nb = 2\n")
    assert StatementLines("", (1,)).starts(module) is None
    assert StatementLines("", (1, 2, 3)).starts(module) is None


def test_nodes_outside_every_statement_with_statement_lines() -> None:
    module = cst.parse_module("# a header comment\nx = f(1)\n# a footer comment\n")
    reference = _reference(module)
    lines = _lines(module)
    assert lines is not None
    header_comment = module.header[0].comment
    call = module.body[0].body[0].value
    assert node_ranges(module, [header_comment, call], lines) == {
        header_comment: reference[header_comment],
        call: reference[call],
    }
    stranger = cst.parse_module("y = 2\n").body[0]
    assert node_ranges(module, [stranger], lines) == {}
