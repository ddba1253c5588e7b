"""`prunelint.positions.node_ranges` against libcst's PositionProvider, node for node.

node_ranges records only the nodes asked for and stops writing the module once it has them, so
it is checked with every node at once, with small random sets, and with single nodes near the
end of the file (where the early stop and the module's trailing newline matter).
"""

from __future__ import annotations

import random
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from prunelint.positions import node_ranges
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


def _check(module: cst.Module, seed: int = 0) -> int:
    reference = _reference(module)
    nodes = list(reference)
    assert node_ranges(module, nodes) == reference
    rng = random.Random(seed)
    for size in (1, 2, 5):
        for _ in range(10):
            chosen = rng.sample(nodes, min(size, len(nodes)))
            assert node_ranges(module, chosen) == {node: reference[node] for node in chosen}
    for node in nodes[-5:]:  # the module itself, the last statement, the trailing newline
        assert node_ranges(module, [node]) == {node: reference[node]}
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
