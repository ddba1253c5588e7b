"""Per-file facts: small, picklable records that the project-wide analysis and the rules read.

A file is parsed once; everything rules need later is kept here, so that worker processes
return facts rather than syntax trees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from prunelint.analysis.gradmode import Mode
from prunelint.diagnostics import Position

SymbolKind = Literal["external", "local", "relative", "unbound"]
Wrapping = Literal["", "instance", "partial", "super"]


class Symbol(NamedTuple):
    """What a name refers to, as far as this file alone can tell.

    external: an absolute dotted name from an import (`torch_pruning.pruner.MetaPruner`,
              `pkg.builders.build_pruner`); the project index decides if it is one of ours.
    local:    a definition in this file, by its qualified name (`Trainer.build`, `f.<locals>.g`).
    relative: a relative import, `level` dots then `name`.
    unbound:  a name this file never binds; it may come from one of the file's star imports.
    `wrapping` says the value is an instance of the symbol, a functools.partial of it, or
    `super()` inside the class `name`; `member` is an attribute taken from that value.
    """

    kind: SymbolKind
    name: str
    level: int = 0
    wrapping: Wrapping = ""
    member: str = ""

    def attr(self, rest: str) -> "Symbol":
        if not rest:
            return self
        if self.wrapping:
            member = f"{self.member}.{rest}" if self.member else rest
            return Symbol(self.kind, self.name, self.level, self.wrapping, member)
        return Symbol(self.kind, f"{self.name}.{rest}", self.level)

    def wrapped(self, wrapping: Wrapping) -> "Symbol":
        return Symbol(self.kind, self.name, self.level, wrapping)


class Span(NamedTuple):
    start: Position
    end: Position


# Positions cost more than parsing, and are needed only for the few nodes that end up in a
# message. So facts name a node by its ordinal: the count of calls, decorators and with-items
# met before it in libcst's visiting order. `prunelint.analysis.locations` turns ordinals into spans.
Loc = int


class CallFact(NamedTuple):
    """A call whose callee could be resolved, with the autograd mode the enclosing scope sets."""

    callee: Symbol
    # The callee's last attribute when it is a method of an instance (`dg.build_dependency`).
    method: str
    loc: Loc
    scope: str  # qualified name of the enclosing function; "" at module level
    mode: Mode  # relative to the scope's entry (decorators included)
    text: str  # the callee as written, for messages
    # The result is iterated or awaited on the spot, so a generator or coroutine body runs here.
    consumed: bool = False
    # Where the callee's name may hold several values, the one this fact is for, as written.
    value: str = ""
    # Arguments that are names resolved here, by position ("0", "1", ...) or keyword: what a
    # callee's parameters hold at this call (a pruner class passed in).
    args: tuple[tuple[str, Symbol], ...] = ()


class ParamCallFact(NamedTuple):
    """A call of a function's own parameter (`def make(cls, m): return cls(m, ...)`): what it
    calls depends on each call site's argument."""

    function: str  # qualified name of the function whose parameter it is
    param: str
    index: int  # the parameter's position, `self` included
    loc: Loc
    mode: Mode  # relative to the function's entry, as CallFact.mode
    text: str


class FunctionFact(NamedTuple):
    qualname: str
    entry: Mode  # what its decorators set
    # A generator or coroutine: calling it runs nothing until it is iterated or awaited.
    deferred: bool = False


class ClassFact(NamedTuple):
    qualname: str
    bases: tuple[Symbol, ...]


@dataclass
class ModuleFacts:
    path: str
    calls: list[CallFact] = field(default_factory=list)
    param_calls: list[ParamCallFact] = field(default_factory=list)
    functions: dict[str, FunctionFact] = field(default_factory=dict)
    classes: dict[str, ClassFact] = field(default_factory=dict)
    # Module-level names bound to one thing only: how re-exports and aliases are followed.
    exports: dict[str, Symbol] = field(default_factory=dict)
    # `from M import *`, in order: the modules, as external or relative symbols.
    star_imports: list[Symbol] = field(default_factory=list)
