"""Which files a later round parses: a name through which a file could reach a construction is
looked for only where an import could bring it from its module (`name>module` words)."""

from __future__ import annotations

import ast
import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from prunelint.analysis.project import import_name_parts
from prunelint.engine.prefilter import imports_module_word, mentioned_among, mentions_words
from prunelint.engine.run import FileStep, LintOptions, finalize, lint_sources
from prunelint.io.source import Source
from prunelint.plugins.registry import load_rules
from prunelint.settings.apidata import load_api_data
from prunelint.settings.config import Settings

API = load_api_data()
RULES = load_rules()


def source(text: str) -> Source:
    return Source("u.py", "/u.py", text)


def test_a_module_named_where_an_import_names_it() -> None:
    for text in [
        "import pkg.builders\n",
        "import os, pkg.builders as b\n",
        "x = 1\nfrom pkg.builders import make\n",
        "from ..builders import make\n",
        "from pkg import builders\n",
        "from pkg import (\n    a,  # what (it) is: a note\n    builders,\n)\n",
        "from pkg import a, \\\n    builders\n",
        "if x: import builders\n",
    ]:
        assert imports_module_word(text, "builders"), text
    for text in [
        "builders = 1\n",
        "import os\nx = builders\n",
        "from pkg import my_builders\n",
        "import pkg\nx = pkg.builders\n",
        "s = 'from pkg import x'; builders()\n",
    ]:
        assert not imports_module_word(text, "builders"), text


def test_a_name_through_a_module_and_through_a_package() -> None:
    mentions = mentions_words(["make>builders", "build>."])
    assert mentions(source("from pkg.builders import make\nmake()\n"))
    assert not mentions(source("def make():\n    pass\nmake()\nbuilders = 1\n"))
    assert mentions(source("from . import build\n"))
    assert mentions(source("from .. import (\n    build,\n)\n"))
    assert not mentions(source("from .mod import x\nbuild()\n"))
    assert mentioned_among("from pkg.builders import make\n", ["make>builders", "make>pkg", "make>other", "x"]) == {
        "make>builders",
        "make>pkg",
    }


# Import statements as Python writes them, with the module name somewhere in each.
MODULE = "builders"
NAMES = st.sampled_from(["a", "b_1", "pkg", "builders_x", "xbuilders"])
GAP = st.sampled_from([" ", "  ", "\t"])
COMMENT = st.sampled_from(["", "  # a (note): x = 'y'", "  #", "  # from = import"])


@st.composite
def an_import(draw) -> str:
    names = draw(st.lists(NAMES, max_size=3))
    position = draw(st.integers(0, len(names)))
    dotted = names[:position] + [MODULE] + names[position:]
    gap = draw(GAP)
    kind = draw(st.sampled_from(["import", "from module", "from names", "from parens", "from relative"]))
    alias = draw(st.sampled_from(["", " as m"]))
    if kind == "import":
        others = draw(st.lists(NAMES, max_size=2))
        return f"import{gap}" + ", ".join([*others, ".".join(dotted) + alias])
    if kind == "from module":
        return f"from{gap}{'.'.join(dotted)}{gap}import a{alias}"
    if kind == "from relative":
        return f"from{gap}{'.' * draw(st.integers(1, 3))}{'.'.join(dotted)} import a"
    listed = [*draw(st.lists(NAMES, max_size=3)), MODULE + alias]
    if kind == "from names":
        return f"from pkg{gap}import{gap}" + ", ".join(listed)
    comment = draw(COMMENT)
    return "from pkg import (" + comment + "\n" + "".join(f"    {n},{draw(COMMENT)}\n" for n in listed) + ")"


OTHER_CODE = st.sampled_from(["x = 1", "f(a, 'b')", "y = {'k': [1, 2]}", "s = '''import'''", "# from x import"])


@settings(max_examples=500, deadline=None)
@given(st.lists(OTHER_CODE, max_size=3), an_import(), st.lists(OTHER_CODE, max_size=3))
def test_every_import_naming_the_module_is_seen(before: list[str], statement: str, after: list[str]) -> None:
    text = "\n".join([*before, statement, *after]) + "\n"
    tree = ast.parse(text)  # the generator writes valid Python only
    named = {
        part
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for part in [*(getattr(node, "module", None) or "").split("."), *(p for a in node.names for p in a.name.split("."))]
    }
    assert MODULE in named
    assert imports_module_word(text, MODULE), text


def test_the_names_an_import_of_a_file_is_spelled_with(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    for name in ["pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/builders.py", "script.py"]:
        (tmp_path / name).write_text("")
    assert import_name_parts(str(tmp_path / "pkg/sub/builders.py"), ()) == {"pkg", "sub", "builders"}
    assert import_name_parts(str(tmp_path / "pkg/sub/__init__.py"), ()) == {"pkg", "sub"}
    assert import_name_parts(str(tmp_path / "script.py"), ()) == {"script"}
    # From a root above the tree, the folders in between are part of the name too.
    assert import_name_parts(str(tmp_path / "script.py"), (str(tmp_path.parent),)) == {"script", tmp_path.name} - (
        set() if tmp_path.name.isidentifier() else {tmp_path.name}
    )


# -- rounds: which files are parsed, and the findings unchanged ------------------------------------


class RecordingStep(FileStep):
    def __init__(self, options: LintOptions) -> None:
        super().__init__(options)
        self.parsed: list[list[str]] = []

    def analyse(self, sources):
        self.parsed.append(sorted(s.filename for s in sources))
        return super().analyse(sources)


BUILDER = "import torch_pruning as tp\n\ndef make_pruner(m, x):\n    return tp.pruner.BasePruner(m, x)\n"
CALLER = "import torch\n{imports}\n\nwith torch.no_grad():\n    {call}(net, x)\n"


def run(tmp_path: Path, files: dict[str, str], linted: list[str] | None = None):
    """The rounds and findings of PRL001 over the files written under tmp_path (those of
    `linted` linted, all by default), with the prefilter, and the findings without it."""
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    sources = [Source(name, str(tmp_path / name), files[name]) for name in (linted or list(files))]
    texts = {s.filename: s.text for s in sources}
    codes = frozenset({"PRL001"})
    options = LintOptions(Settings(), RULES, codes, API, roots=(str(tmp_path),))
    step = RecordingStep(options)
    found = finalize(lint_sources(sources, options, step), options, texts)
    unfiltered = LintOptions(Settings(), RULES, codes, API, prefilter=False, roots=(str(tmp_path),))
    assert finalize(lint_sources(sources, unfiltered), unfiltered, texts) == found
    return step.parsed, [(d.filename, d.code) for d in found]


def test_a_file_that_only_mentions_the_name_is_left_unparsed(tmp_path: Path) -> None:
    parsed, found = run(
        tmp_path,
        {
            "builders.py": BUILDER,
            "user.py": CALLER.format(imports="from builders import make_pruner", call="make_pruner"),
            "other.py": "def make_pruner():\n    pass\n\nmake_pruner()\n",
        },
    )
    assert parsed == [["builders.py"], ["user.py"]]
    assert found == [("user.py", "PRL001")]


def test_a_name_re_exported_is_followed_round_by_round(tmp_path: Path) -> None:
    parsed, found = run(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/builders.py": BUILDER,
            "reexport.py": "from pkg.builders import make_pruner\n",
            "app.py": CALLER.format(imports="from reexport import make_pruner", call="make_pruner"),
            "attr.py": CALLER.format(imports="import pkg", call="pkg.builders.make_pruner"),
        },
    )
    # attr.py names the package above the module, reexport.py the module; app.py is found
    # once reexport.py's own export is known.
    assert parsed == [["pkg/builders.py"], ["attr.py", "reexport.py"], ["app.py"]]
    assert sorted(found) == [("app.py", "PRL001"), ("attr.py", "PRL001")]


def test_a_name_a_package_star_imports_is_reached_through_the_package(tmp_path: Path) -> None:
    parsed, found = run(
        tmp_path,
        {
            "pkg/__init__.py": "from .builders import *\n",
            "pkg/builders.py": BUILDER,
            "app.py": CALLER.format(imports="from pkg import make_pruner", call="make_pruner"),
            "inside.py": "",
            "pkg/near.py": CALLER.format(imports="from . import make_pruner", call="make_pruner"),
        },
    )
    assert sorted(found) == [("app.py", "PRL001"), ("pkg/near.py", "PRL001")]
    assert ["inside.py"] not in parsed and not any("inside.py" in r for r in parsed)


def test_a_name_re_exported_by_a_module_outside_the_run(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/builders.py": BUILDER,
        "reexport.py": "from pkg.builders import make_pruner\n",
        "app.py": CALLER.format(imports="from reexport import make_pruner", call="make_pruner"),
    }
    parsed, found = run(tmp_path, files, linted=["pkg/builders.py", "app.py"])
    assert found == [("app.py", "PRL001")]
    assert parsed[:2] == [["pkg/builders.py"], ["app.py"]]
