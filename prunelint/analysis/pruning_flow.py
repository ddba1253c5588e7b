"""The straight-line flow of each function (and of the module body), for the flow rules (PRL105-PRL501).

One walk over a module records, per scope and in evaluation order, every call, every binding of a
name and every read of a name, each with the compound statements that enclose it (`for`, `if`,
`try`, ...). The rules ask questions about that record: which names hold a pruner, whether one
event surely happened before another, what a name was last bound to. Answers are conservative:
a binding in a branch, a name bound twice, a name handed to another scope make the answer
"unclear", and the rules stay silent there.

Imported only from inside rule methods (it imports libcst eagerly).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, NamedTuple, Protocol, Sequence

import libcst as cst

from prunelint.analysis.collector import dotted_name
from prunelint.analysis.traversal import bound_visitors, visit_batched



class NameLookup(Protocol):
    """What the flow queries need of the rule asking: a `CstRule` is one."""

    api: Any

    def qualified_name(self, node: cst.BaseExpression) -> str | None: ...

    def pruner_class(self, call: cst.Call) -> str | None: ...

# Frames after which the code below may not run at all, or run in place of other code.
BRANCHES = frozenset({"if", "else", "except", "ifexp", "bool", "comp", "lambda", "match"})
LOOPS = frozenset({"for", "while", "comp"})


@dataclass(frozen=True)
class Frame:
    kind: str  # "for", "for-else", "while", "if", "else", "try", "except", "try-else", "finally", "with", ...
    node: cst.CSTNode


Chain = tuple[Frame, ...]


def call_argument(call: cst.Call, name: str | None, position: int | None = None) -> cst.BaseExpression | None:
    """The argument passed as keyword `name`, else the `position`-th positional one; None where
    it is not given, or where a `*args` before it makes its position unknown."""
    if name is not None:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == name:
                return arg.value
    if position is None:
        return None
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in positional[: position + 1]):
        return None
    return positional[position].value if position < len(positional) else None


@dataclass(frozen=True)
class CallEvent:
    index: int
    node: cst.Call
    chain: Chain
    func: str | None  # dotted name of the callee, `model.zero_grad` for a method call
    receiver: str | None  # `model` for `model.zero_grad()`, None for a plain function call
    method: str | None  # `zero_grad`

    def keyword(self, name: str) -> cst.BaseExpression | None:
        return call_argument(self.node, name)

    def positional(self, index: int) -> cst.BaseExpression | None:
        return call_argument(self.node, None, index)


@dataclass(frozen=True)
class Binding:
    index: int
    name: str  # dotted: `model`, `model.config.use_cache`
    value: cst.BaseExpression | None  # None where the bound value is not one expression
    chain: Chain
    kind: str  # "assign", "param", "for", "with", "aug", "del", "import", "def", "other"
    node: cst.CSTNode


class Use(NamedTuple):
    """A read of a name. A named tuple: a file has one per name read, per enclosing scope,
    and a frozen dataclass costs three times as much to build."""


    index: int
    name: str
    node: cst.Name
    chain: Chain
    role: str  # "receiver" (x.m()), "attr" (x.a), "arg" (f(x)), "nested" (read in an inner scope), "other"
    detail: str | None = None  # the method for "receiver", the callee's dotted name for "arg"
    call: cst.Call | None = None  # for "arg": the call the name is an argument of


@dataclass
class ScopeFlow:
    node: cst.CSTNode  # cst.Module, cst.FunctionDef or cst.ClassDef
    calls: list[CallEvent] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)

    def bindings_of(self, name: str) -> list[Binding]:
        return [b for b in self.bindings if b.name == name]

    def uses_of(self, name: str) -> list[Use]:
        return [u for u in self.uses if u.name == name]

    def method_calls(self, receiver: str, *methods: str) -> list[CallEvent]:
        return [c for c in self.calls if c.receiver == receiver and (not methods or c.method in methods)]

    def only_binding(self, name: str) -> Binding | None:
        """The name's single binding in this scope; None if it is bound more than once, or in
        a loop (where one binding is many values)."""
        found = self.bindings_of(name)
        if len(found) != 1:
            return None
        if any(f.kind in LOOPS for f in found[0].chain):
            return None
        return found[0]

    def reaching(self, name: str, at: int, chain: Chain) -> Binding | None:
        """The binding of `name` that surely holds at event `at` (enclosed by `chain`): the last
        one before it, unconditional relative to it, and not rebound later in a loop around it."""
        before = [b for b in self.bindings_of(name) if b.index < at]
        if not before:
            return None
        last = before[-1]
        if not surely_before(last.index, last.chain, at, chain):
            return None
        for later in self.bindings_of(name):
            if later.index > at and _shares_loop(later.chain, chain):
                return None
        return last


def common_prefix(a: Chain, b: Chain) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def surely_before(first: int, first_chain: Chain, then: int, then_chain: Chain) -> bool:
    """`first` comes earlier in the code, and whenever `then` runs, `first` ran (no branch around
    `first` that does not also hold `then`). Exceptions, early returns and empty loops aside."""
    if first >= then:
        return False
    rest = first_chain[common_prefix(first_chain, then_chain) :]
    return not any(f.kind in BRANCHES or f.kind == "lambda" for f in rest)


def frames_between(outer: Chain, inner: Chain) -> Chain | None:
    """The frames that enclose `inner` but not `outer`; None if `outer` is not a prefix."""
    if inner[: len(outer)] != outer:
        return None
    return inner[len(outer) :]


def _shares_loop(a: Chain, b: Chain) -> bool:
    return any(f.kind in LOOPS for f in a[: common_prefix(a, b)])


def int_literal(expr: cst.BaseExpression | None) -> int | None:
    if isinstance(expr, cst.Integer):
        try:
            return int(expr.evaluated_value)
        except ValueError:  # pragma: no cover
            return None
    return None


def bool_literal(expr: cst.BaseExpression | None) -> bool | None:
    if isinstance(expr, cst.Name) and expr.value in ("True", "False"):
        return expr.value == "True"
    return None


# ---------------------------------------------------------------------------------------------


class FlowWalker(cst.BatchableCSTVisitor):
    """Records the flow of every scope. Batchable, so that it runs in the shared pass with the
    fact collector and the rules (a walk of its own cost a third of the analysis time); the
    walk keeps the chain of ancestors in `parents`."""

    def __init__(self, memo: dict[str, Any] | None = None) -> None:
        super().__init__()
        self._memo = memo
        self.scopes: list[ScopeFlow] = []
        self._stack: list[ScopeFlow] = []
        self._chains: list[list[Frame]] = []
        self._chain_tuples: list[Chain | None] = []  # tuple(chain) per scope, None when stale
        self._parents: list[cst.CSTNode] = []
        self._counter = 0

    # -- bookkeeping -----------------------------------------------------------------------
    def _next(self) -> int:
        self._counter += 1
        return self._counter

    @property
    def _scope(self) -> ScopeFlow:
        return self._stack[-1]

    def _chain(self) -> Chain:
        # Most names of a block share its chain: the tuple is built once per change.
        chain = self._chain_tuples[-1]
        if chain is None:
            chain = self._chain_tuples[-1] = tuple(self._chains[-1])
        return chain

    def _push(self, kind: str, node: cst.CSTNode) -> None:
        self._chains[-1].append(Frame(kind, node))
        self._chain_tuples[-1] = None

    def _pop(self) -> None:
        self._chains[-1].pop()
        self._chain_tuples[-1] = None

    def _enter_scope(self, node: cst.CSTNode) -> None:
        scope = ScopeFlow(node)
        self.scopes.append(scope)
        self._stack.append(scope)
        self._chains.append([])
        self._chain_tuples.append(())

    def _leave_scope(self) -> None:
        self._stack.pop()
        self._chains.pop()
        self._chain_tuples.pop()

    def get_visitors(self) -> dict[str, Callable[..., Any]]:
        # libcst's default reads every attribute, properties included (`_scope` fails outside
        # a scope); the visitor methods are found by name on the class instead.
        return bound_visitors(self)

    @property
    def parents(self) -> list[cst.CSTNode]:
        """The chain of ancestors of the node being visited (itself last), kept by the walk."""
        return self._parents

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None, kind: str, node: cst.CSTNode) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value, None, kind, node)
            return
        if isinstance(target, cst.StarredElement):
            self._bind(target.value, None, kind, node)
            return
        name = dotted_name(target)
        if name is None and isinstance(target, cst.Subscript):
            # `d[k] = v` changes `d`'s contents: recorded as an unclear binding of `d.[]`.
            base = dotted_name(target.value)
            name = None if base is None else f"{base}.[]"
        if name is not None:
            self._scope.bindings.append(Binding(self._next(), name, value, self._chain(), kind, node))

    # -- scopes ----------------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        self._enter_scope(node)

    def leave_Module(self, original_node: cst.Module) -> None:
        self._leave_scope()
        if self._memo is not None:
            # Before the rules' own leave_Module: the walker is batched ahead of them.
            self._memo[MEMO_KEY] = (original_node, tuple(self.scopes))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scope.bindings.append(Binding(self._next(), node.name.value, None, self._chain(), "def", node))
        self._enter_scope(node)
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            self._scope.bindings.append(Binding(self._next(), param.name.value, None, (), "param", param))
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self._scope.bindings.append(Binding(self._next(), star.name.value, None, (), "param", star))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._leave_scope()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scope.bindings.append(Binding(self._next(), node.name.value, None, self._chain(), "def", node))
        self._enter_scope(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._leave_scope()

    # -- frames ----------------------------------------------------------------------------
    def visit_For_body(self, node: cst.For) -> None:
        self._push("for", node)
        self._bind(node.target, None, "for", node)

    def leave_For_body(self, node: cst.For) -> None:
        self._pop()

    def visit_For_orelse(self, node: cst.For) -> None:
        self._push("for-else", node)

    def leave_For_orelse(self, node: cst.For) -> None:
        self._pop()

    def visit_While(self, node: cst.While) -> None:
        self._push("while", node)

    def leave_While(self, original_node: cst.While) -> None:
        self._pop()

    def visit_If_body(self, node: cst.If) -> None:
        self._push("if", node)

    def leave_If_body(self, node: cst.If) -> None:
        self._pop()

    def visit_If_orelse(self, node: cst.If) -> None:
        self._push("else", node)

    def leave_If_orelse(self, node: cst.If) -> None:
        self._pop()

    def visit_Try_body(self, node: cst.Try) -> None:
        self._push("try", node)

    def leave_Try_body(self, node: cst.Try) -> None:
        self._pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._push("except", node)

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self._pop()

    def visit_Try_orelse(self, node: cst.Try) -> None:
        self._push("try-else", node)

    def leave_Try_orelse(self, node: cst.Try) -> None:
        self._pop()

    def visit_Try_finalbody(self, node: cst.Try) -> None:
        self._push("finally", node)

    def leave_Try_finalbody(self, node: cst.Try) -> None:
        self._pop()

    def visit_With_body(self, node: cst.With) -> None:
        self._push("with", node)
        for item in node.items:
            if item.asname is not None:
                self._bind(item.asname.name, item.item, "with", node)

    def leave_With_body(self, node: cst.With) -> None:
        self._pop()

    def visit_Match(self, node: cst.Match) -> None:
        self._push("match", node)

    def leave_Match(self, original_node: cst.Match) -> None:
        self._pop()

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._push("ifexp", node)

    def leave_IfExp(self, original_node: cst.IfExp) -> None:
        self._pop()

    def visit_BooleanOperation_right(self, node: cst.BooleanOperation) -> None:
        self._push("bool", node)

    def leave_BooleanOperation_right(self, node: cst.BooleanOperation) -> None:
        self._pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._push("lambda", node)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._pop()

    def _visit_comp(self, node: cst.CSTNode) -> None:
        self._push("comp", node)

    def _leave_comp(self, node: cst.CSTNode) -> None:
        self._pop()

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_comp
    leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave_comp

    # -- events ----------------------------------------------------------------------------
    def leave_Call(self, original_node: cst.Call) -> None:
        func = original_node.func
        receiver = method = None
        if isinstance(func, cst.Attribute):
            receiver = dotted_name(func.value)
            method = func.attr.value
        event = CallEvent(self._next(), original_node, self._chain(), dotted_name(func), receiver, method)
        self._scope.calls.append(event)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        for target in original_node.targets:
            self._bind(target.target, original_node.value, "assign", original_node)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        if original_node.value is not None:
            self._bind(original_node.target, original_node.value, "assign", original_node)

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        self._bind(original_node.target, None, "aug", original_node)

    def leave_NamedExpr(self, original_node: cst.NamedExpr) -> None:
        self._bind(original_node.target, original_node.value, "assign", original_node)

    def visit_Del(self, node: cst.Del) -> None:
        self._bind(node.target, None, "del", node)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if node.asname is not None and isinstance(node.asname.name, cst.Name):
            self._bind(node.asname.name, None, "import", node)
        else:
            head = (dotted_name(node.name) or "").split(".", 1)[0]
            if head:
                self._scope.bindings.append(Binding(self._next(), head, None, self._chain(), "import", node))

    def visit_Name(self, node: cst.Name) -> None:
        parents = self._parents
        parent = parents[-2] if len(parents) > 1 else None
        grand = parents[-3] if len(parents) > 2 else None
        role = _role(node, parent, grand)
        if role is None:
            return
        detail = call = None
        if role == "receiver":  # parent is the Attribute, grand the Call
            detail = parent.attr.value
        elif role == "arg" and type(grand) is cst.Call:
            detail, call = dotted_name(grand.func), grand
        self._counter += 1
        index = self._counter
        self._stack[-1].uses.append(Use(index, node.value, node, self._chain(), role, detail, call))
        # A read inside a nested function or class is a use the enclosing scopes cannot follow.
        for depth in range(len(self._stack) - 1):
            chain = self._chain_tuples[depth]
            if chain is None:
                chain = self._chain_tuples[depth] = tuple(self._chains[depth])
            self._stack[depth].uses.append(Use(index, node.value, node, chain, "nested"))


_BINDING_PARENTS = frozenset({cst.AssignTarget, cst.FunctionDef, cst.ClassDef, cst.Param, cst.ImportAlias, cst.AsName})
_TARGET_PARENTS = frozenset({cst.AugAssign, cst.AnnAssign, cst.NamedExpr, cst.For})
_NESTED_PARENTS = frozenset({cst.Global, cst.Nonlocal, cst.NameItem})


def _role(node: cst.Name, parent: cst.CSTNode | None, grand: cst.CSTNode | None) -> str | None:
    """How a name is read, or None where it is not a read (a binding, an attribute's name...)."""
    # By exact class: parsed trees hold no subclasses, and this runs for every name of a file.
    kind = type(parent)
    if kind is cst.Attribute:
        if parent.attr is node:
            return None
        if type(grand) is cst.Call and grand.func is parent:
            return "receiver"
        return "attr"
    if kind is cst.Arg:
        return None if parent.keyword is node else "arg"
    if kind in _BINDING_PARENTS:
        return None
    if kind in _TARGET_PARENTS and parent.target is node:
        return None
    if kind in _NESTED_PARENTS:
        return "nested"
    if kind is cst.Call and parent.func is node:
        return None  # a function called by name: its calls are CallEvents
    return "other"


MEMO_KEY = "module_flow"


def module_flow(module: cst.Module, memo: dict[str, Any]) -> tuple[ScopeFlow, ...]:
    """The flow of every scope of `module`, for a rule's `leave_Module`. The shared pass records
    it once per file for every rule that lists `pruning_flow` in its SHARED_PASSES; without
    that (a rule run on its own), it is walked here and kept in the file's memo. Read-only."""
    kept = memo.get(MEMO_KEY)
    if kept is None or kept[0] is not module:
        walker = FlowWalker(memo)
        visit_batched(module, [walker], parents=walker.parents)
        kept = memo[MEMO_KEY]
    return kept[1]


# -- pruners ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrunerVar:
    """`name = SomePruner(model, ...)`, bound once in its scope."""

    name: str
    cls: str
    call: cst.Call
    binding: Binding
    scope: ScopeFlow

    def argument(self, name: str, position: int | None = None) -> cst.BaseExpression | None:
        return call_argument(self.call, name, position)

    @property
    def model(self) -> str | None:
        """The name of the pruned model, when it is a plain name (or `self.model`-like chain)."""
        expr = self.argument("model", 0)
        return None if expr is None else dotted_name(expr)

    def steps(self) -> list[CallEvent]:
        """`name.step()` calls after the construction, in this scope only."""
        return [c for c in self.scope.method_calls(self.name, "step") if c.index > self.binding.index]

    def escapes(self, methods: Sequence[str] | None = None) -> bool:
        """The pruner is handed on after its construction (an argument to anything but a
        builtin that only looks at it, returned, stored, read in an inner scope), so code this
        scope does not show may step or change it. With `methods`, calling any other method
        of it counts too."""
        return escapes(self.scope, self.name, self.binding.index, methods)


# Builtins that only look at their argument.
LOOKERS = frozenset({"isinstance", "print", "len", "type", "id", "repr", "str", "hasattr", "getattr", "format"})


def escapes(
    scope: ScopeFlow,
    name: str,
    after: int,
    methods: Sequence[str] | None = None,
    *,
    before: int | None = None,
    ignore: cst.Call | None = None,
    harmless: Callable[[cst.Call], bool] | None = None,
) -> bool:
    """`name` is handed on between events `after` and `before` (see `PrunerVar.escapes`).
    Arguments of `ignore`, and of calls `harmless` accepts, do not count."""
    for use in scope.uses_of(name):
        if use.index <= after or (before is not None and use.index >= before):
            continue
        if use.role == "arg" and (
            use.detail in LOOKERS
            or (use.call is not None and (use.call is ignore or (harmless is not None and harmless(use.call))))
        ):
            continue
        if use.role in ("arg", "other", "nested"):
            return True
        if use.role == "receiver" and methods is not None and use.detail not in methods:
            return True
    return False


def pruner_vars(scope: ScopeFlow, rule: NameLookup) -> Iterator[PrunerVar]:
    """Names bound once in `scope` to a Torch-Pruning pruner construction."""
    for binding in scope.bindings:
        call = binding.value
        if binding.kind != "assign" or not isinstance(call, cst.Call) or "." in binding.name:
            continue
        cls = rule.pruner_class(call)
        # Bound once (in a loop, once per iteration: each iteration's pruner is a new one).
        if cls is None or scope.bindings_of(binding.name) != [binding]:
            continue
        yield PrunerVar(binding.name, cls, call, binding, scope)


def strip_same_object(expr: cst.BaseExpression | None, methods: Sequence[str]) -> cst.BaseExpression | None:
    """`nn.DataParallel(m).cuda()` is the DataParallel: drop calls that return their receiver."""
    while (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value in methods
    ):
        expr = expr.func.value
    return expr


def value_at(
    scope: ScopeFlow, expr: cst.BaseExpression | None, at: int, chain: Chain
) -> tuple[cst.BaseExpression | None, Binding | None]:
    """What `expr` holds at event `at`: itself, or for a plain name the value of the binding that
    surely reaches there (None where that is unclear or not one expression)."""
    if isinstance(expr, cst.Name):
        binding = scope.reaching(expr.value, at, chain)
        if binding is None or binding.kind != "assign":
            return None, binding
        return binding.value, binding
    return expr, None


@dataclass(frozen=True)
class PruneEvent:
    """A place where `model` is pruned: `pruner.step()` or `group.prune()`."""

    model: str
    call: CallEvent
    pruner: PrunerVar | None = None


def graph_vars(scope: ScopeFlow, rule: NameLookup) -> dict[str, tuple[str, Binding]]:
    """`DG = tp.DependencyGraph().build_dependency(model, ...)`, bound once: name -> (model, binding)."""
    found: dict[str, tuple[str, Binding]] = {}
    for binding in scope.bindings:
        call = binding.value
        if binding.kind != "assign" or "." in binding.name or not isinstance(call, cst.Call):
            continue
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in rule.api.tracing_methods):
            continue
        if not (isinstance(func.value, cst.Call) and rule.qualified_name(func.value.func) in rule.api.dependency_graph_classes):
            continue
        model = call_argument(call, "model", 0)
        name = None if model is None else dotted_name(model)
        if name is not None and scope.only_binding(binding.name) is binding:
            found[binding.name] = (name, binding)
    return found


def prune_events(scope: ScopeFlow, rule: NameLookup) -> list[PruneEvent]:
    """Every call in `scope` that prunes a model named by a plain (dotted) name, in order."""
    events: list[PruneEvent] = []
    for pruner in pruner_vars(scope, rule):
        model = pruner.model
        if model is not None:
            events.extend(PruneEvent(model, step, pruner) for step in pruner.steps() if _step_prunes(scope, step))
    graphs = graph_vars(scope, rule)
    if graphs:
        group_methods = ("get_pruning_group", "get_all_groups")
        for call in scope.calls:
            if call.method != "prune":
                continue
            source = call.node.func.value if isinstance(call.node.func, cst.Attribute) else None
            origin: cst.BaseExpression | None = source
            if isinstance(source, cst.Name):
                origin = _group_origin(scope, source.value, call)
            if (
                isinstance(origin, cst.Call)
                and isinstance(origin.func, cst.Attribute)
                and origin.func.attr.value in group_methods
            ):
                graph = dotted_name(origin.func.value)
                if graph in graphs:
                    events.append(PruneEvent(graphs[graph][0], call))
    return sorted(events, key=lambda e: e.call.index)


def _step_prunes(scope: ScopeFlow, step: CallEvent) -> bool:
    """Whether `pruner.step(...)` surely changes the model. `step(interactive=True)` only yields
    the groups; nothing is pruned unless a group's `.prune()` is called, and soft pruning (the
    groups only looked at, or zeroed by hand) keeps every shape. An `interactive` that is not a
    literal may be either: not sure, so not a prune."""
    interactive = step.keyword("interactive")
    if interactive is None:
        interactive = step.positional(0)
    if interactive is None:
        return True
    flag = bool_literal(interactive)
    if flag is None:
        return False
    if not flag:
        return True
    for call in scope.calls:
        if call.method != "prune" or call.index <= step.index:
            continue
        source = call.node.func.value if isinstance(call.node.func, cst.Attribute) else None
        if not isinstance(source, cst.Name):
            continue
        origin = _group_origin(scope, source.value, call)
        if isinstance(origin, cst.Name):  # groups = list(pruner.step(interactive=True))
            binding = scope.reaching(origin.value, call.index, call.chain)
            origin = binding.value if binding is not None and binding.kind == "assign" else None
        if isinstance(origin, cst.Call) and isinstance(origin.func, cst.Name) and origin.func.value in ("list", "tuple"):
            origin = origin.args[0].value if len(origin.args) == 1 else None
        if origin is step.node:
            return True
    return False


def _group_origin(scope: ScopeFlow, name: str, call: CallEvent) -> cst.BaseExpression | None:
    """The call a group name came from: `g = DG.get_pruning_group(...)`, or the iterable of the
    `for g in DG.get_all_groups(...)` loop around the call."""
    binding = scope.reaching(name, call.index, call.chain)
    if binding is None:
        return None
    if binding.kind == "assign":
        return binding.value
    if binding.kind == "for" and isinstance(binding.node, cst.For) and isinstance(binding.node.target, cst.Name):
        return binding.node.iter
    return None


def is_backward(call: CallEvent, rule: NameLookup) -> bool:
    table = rule.api.table("gradient_importances")
    if call.method is not None and call.method in table.get("backward_methods", ()):
        return True  # `loss.backward()`, `scaler.scale(loss).backward()`
    return rule.qualified_name(call.node.func) in table.get("backward_functions", ())


def is_optimizer_call(rule: NameLookup, call: cst.Call) -> bool:
    table = rule.api.table("optimizers")
    name = rule.qualified_name(call.func)
    if name is None:
        return False
    if name in table.get("factories", ()):
        return True
    head, _, cls = name.rpartition(".")
    if cls not in table.get("classes", ()):
        return False
    return any(head == module or head.startswith(module + ".") for module in table.get("modules", ()))


def calls_in(expr: cst.CSTNode) -> Iterator[cst.Call]:
    """Every call inside an expression (the expression itself included)."""
    if isinstance(expr, cst.Call):
        yield expr
    for child in expr.children:
        yield from calls_in(child)


def rebound(scope: ScopeFlow, name: str, start: int, end: int) -> bool:
    """`name` (or the object it hangs from) is bound again between events `start` and `end`."""
    head = name.split(".", 1)[0]
    return any(
        start < b.index < end and (b.name == name or b.name == head or name.startswith(b.name + "."))
        for b in scope.bindings
    )


def pruned_before(scope: ScopeFlow, prunes: Sequence[PruneEvent], model: str, at: int, chain: Chain) -> PruneEvent | None:
    """The last pruning of `model` that surely ran before event `at`, the name unchanged since."""
    for prune in reversed(prunes):
        if prune.model != model or prune.call.index >= at:
            continue
        if surely_before(prune.call.index, prune.call.chain, at, chain) and not rebound(scope, model, prune.call.index, at):
            return prune
    return None
