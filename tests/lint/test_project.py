"""The project index on hand-made facts: class orders and what a call of a class does."""

from __future__ import annotations

from prunelint.analysis.facts import ClassFact, FunctionFact, ModuleFacts, Symbol
from prunelint.analysis.gradmode import NEUTRAL
from prunelint.analysis.project import Project, Target
from prunelint.settings.apidata import load_api_data

PATH = "/virtual/models.py"


def project(classes: dict[str, tuple[Symbol, ...]], functions: tuple[str, ...] = ()) -> Project:
    facts = ModuleFacts(PATH)
    for name, bases in classes.items():
        facts.classes[name] = ClassFact(name, bases)
    for name in functions:
        facts.functions[name] = FunctionFact(name, NEUTRAL)
    return Project([facts], [], load_api_data())


def local(name: str) -> Symbol:
    return Symbol("local", name)


def cls(name: str) -> Target:
    return Target("class", PATH, name)


def test_mro_is_depth_first_left_to_right_each_class_once() -> None:
    p = project({"A": (), "B": (local("A"),), "C": (local("A"),), "D": (local("B"), local("C"))})
    assert [t.qualname for t in p.mro(cls("B"))] == ["B", "A"]  # cached, then reused for D
    assert [t.qualname for t in p.mro(cls("D"))] == ["D", "B", "A", "C"]


def test_a_cycle_of_bases_ends() -> None:
    p = project({"A": (local("B"),), "B": (local("A"),)})
    assert [t.qualname for t in p.mro(cls("A"))] == ["A", "B"]
    assert p.class_kind(cls("A")) == ""


def test_a_pruner_subclass_traces_unless_it_defines_its_own_constructor() -> None:
    meta = Symbol("external", "torch_pruning.pruner.BasePruner")
    p = project({"Plain": (meta,), "Own": (meta,), "Child": (local("Own"),)}, ("Own.__init__",))
    assert p.traces(cls("Plain"), "")
    assert not p.traces(cls("Own"), "")
    assert p.callee_function(cls("Own"), "") == (PATH, "Own.__init__")
    assert p.callee_function(cls("Child"), "") == (PATH, "Own.__init__")  # inherited
    assert p.traces(Target("class", PATH, "Own", wrapping="super"), "__init__")
