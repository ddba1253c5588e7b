"""Which functions of the linted tree trace a model when called, and in what autograd mode.

A function "builds" when it constructs a pruner or runs `build_dependency`, directly or through
other functions. Each build path carries the mode change that the function itself makes on the
way (decorators, `with` blocks, `set_grad_enabled`), so that a caller under `no_grad` is flagged,
and a callee that re-enables autograd is not.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from prunelint.analysis.facts import CallFact
from prunelint.analysis.gradmode import NEUTRAL, Mode
from prunelint.analysis.project import Project

FunctionKey = tuple[str, str]  # (absolute path, qualified name)


class BuildPath(NamedTuple):
    """How a call ends in a trace: the mode the callee sets, and the chain of calls."""

    mode: Mode
    # The construction: its text (e.g. "`tp.pruner.MetaPruner(...)`"), file and node ordinal.
    construction: tuple[str, str, int] | None
    via: tuple[str, ...] = ()  # intermediate functions, outermost first


class CallOutcome(NamedTuple):
    """What one call does, seen from its own line."""

    call: CallFact
    path: BuildPath  # the mode is the call site's mode composed with the callee's


class BuildIndex:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.paths: dict[FunctionKey, dict[tuple, BuildPath]] = {}
        # callee -> (file of the call, the call, the function it sits in)
        self._callers: dict[FunctionKey, list[tuple[str, CallFact]]] = {}
        self._direct: list[tuple[str, CallFact]] = []
        # Calls that build through a parameter of their callee: the class this call passes.
        self._through_params: list[tuple[str, CallFact, BuildPath]] = []
        self._build()

    def _build(self) -> None:
        project = self.project
        queue: deque[FunctionKey] = deque()
        for path, call in project.calls():
            target = project.resolve(path, call.callee)
            if target is None:
                continue
            if project.traces(target, call.method):
                self._direct.append((path, call))
                if call.scope:
                    here = BuildPath(NEUTRAL, (f"`{call.text}(...)`", path, call.loc))
                    if self._add((path, call.scope), _through(call, here)):
                        queue.append((path, call.scope))
                continue
            callee = project.callee_function(target, call.method)
            # Calling a generator or coroutine function runs its body only when the result is
            # iterated or awaited on the spot.
            if callee is not None and (call.consumed or not project.deferred(callee)):
                self._callers.setdefault(callee, []).append((path, call))
                for build in self._param_builds(path, call, callee):
                    self._through_params.append((path, call, build))
                    if call.scope and self._add((path, call.scope), _through(call, build)):
                        queue.append((path, call.scope))
        while queue:
            callee = queue.popleft()
            for path, call in self._callers.get(callee, ()):
                if not call.scope:
                    continue
                caller = (path, call.scope)
                for build in list(self.paths.get(callee, {}).values()):
                    if self._add(caller, _through(call, _via(build, call))):
                        queue.append(caller)

    def _param_builds(self, path: str, call: CallFact, callee: FunctionKey) -> list[BuildPath]:
        """`make(tp.pruner.GroupNormPruner, model)` where `make` calls its parameter: a build
        path for this call alone, through the callee's call of that parameter."""
        if not call.args:
            return []
        callee_path, qualname = callee
        facts = self.project.facts.get(callee_path)
        if facts is None or not facts.param_calls:
            return []
        # A method's or a constructor's first parameter is the instance, never an argument.
        owner = qualname.rsplit(".", 1)[0] if "." in qualname else ""
        offset = 1 if owner in facts.classes else 0
        args = dict(call.args)
        found = []
        for param_call in facts.param_calls:
            if param_call.function != qualname:
                continue
            symbol = args.get(param_call.param) or args.get(str(param_call.index - offset))
            if symbol is None:
                continue
            target = self.project.resolve(path, symbol)
            if target is not None and self.project.traces(target, ""):
                construction = (f"`{param_call.text}(...)`", callee_path, param_call.loc)
                found.append(BuildPath(param_call.mode, construction))
        return found

    def _add(self, key: FunctionKey, build: BuildPath) -> bool:
        """Record a build path unless it is flagged where it is, or already known."""
        if build.mode.disabled:
            return False
        known = self.paths.setdefault(key, {})
        if build.mode.key() in known:
            return False
        known[build.mode.key()] = build
        return True

    def builders(self) -> set[FunctionKey]:
        return {key for key, paths in self.paths.items() if paths}

    def disabled_calls(self) -> list[tuple[str, CallOutcome]]:
        """Every call that traces, directly or through a builder, with autograd disabled."""
        found: list[tuple[str, CallOutcome]] = []
        for path, call in self._direct:
            if call.mode.disabled:
                found.append((path, CallOutcome(call, BuildPath(call.mode, None))))
        for path, call, build in self._through_params:
            mode = call.mode.then(build.mode)
            if mode.disabled:
                found.append((path, CallOutcome(call, BuildPath(mode, build.construction, build.via))))
        for callee, sites in self._callers.items():
            for path, call in sites:
                for build in self.paths.get(callee, {}).values():
                    mode = call.mode.then(build.mode)
                    if mode.disabled:
                        outcome = CallOutcome(call, _via(BuildPath(mode, build.construction, build.via), call))
                        found.append((path, outcome))
                        break
        return found


def _through(call: CallFact, build: BuildPath) -> BuildPath:
    return BuildPath(call.mode.then(build.mode), build.construction, build.via)


MAX_VIA = 4  # a message names at most this many calls on the way


def _via(build: BuildPath, call: CallFact) -> BuildPath:
    via = (f"`{call.text}(...)`",) + build.via
    if len(via) > MAX_VIA:
        via = via[: MAX_VIA - 1] + ("…",)
    return BuildPath(build.mode, build.construction, via)
