"""The straight-line flow of each function (and of the module body), for the flow rules (PRL105-PRL501).

One walk over a module records, per scope and in evaluation order, every call, every binding of a
name and every read of a name, each with the compound statements that enclose it (`for`, `if`,
`try`, ...). The rules ask questions about that record: which names hold a pruner, whether one
event surely happened before another, what a name was last bound to. Answers are conservative:
a binding in a branch, a name bound twice, a name handed to another scope make the answer
"unclear", and the rules stay silent there.

The walker is one visitor of the file's shared walk (`prunelint.model.walk.walk`), ahead of the
rules; the engine hands each scope's record to every `FlowRule` (`check_scope`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple, Protocol

from prunelint.model.names import dotted_name
from prunelint.model.walk import iter_nodes, walk


class NameLookup(Protocol):
    """What the flow queries need of the rule asking: a `NodeRule` is one."""

    api: Any

    def qualified_name(self, node: ast.AST) -> str | None: ...

    def pruner_class(self, call: ast.Call) -> str | None: ...


# Frames after which the code below may not run at all, or run in place of other code.
BRANCHES = frozenset({"if", "else", "except", "ifexp", "bool", "comp", "lambda", "match"})
LOOPS = frozenset({"for", "while", "comp"})


class Frame(NamedTuple):
    # "for", "for-else", "while", "if", "else", "try", "except", "try-else", "finally", "with",
    # "match", "ifexp", "bool", "lambda", "comp"
    kind: str
    # The statement or expression: for "bool", the operand (every operand but the first of a
    # `BoolOp` has a frame of its own, as libcst's nested two-operand operations had).
    node: ast.AST


Chain = tuple[Frame, ...]


def call_argument(call: ast.Call, name: str | None, position: int | None = None) -> ast.expr | None:
    """The argument passed as keyword `name`, else the `position`-th positional one; None where
    it is not given, or where a `*args` before it makes its position unknown."""
    if name is not None:
        for keyword in call.keywords:
            if keyword.arg == name:
                return keyword.value
    if position is None:
        return None
    positional = call.args
    if any(type(a) is ast.Starred for a in positional[: position + 1]):
        return None
    return positional[position] if position < len(positional) else None


class CallEvent(NamedTuple):
    """A call, in evaluation order. A named tuple, as `Use`: one per call of a file."""

    index: int
    node: ast.Call
    chain: Chain
    func: str | None  # dotted name of the callee, `model.zero_grad` for a method call
    receiver: str | None  # `model` for `model.zero_grad()`, None for a plain function call
    method: str | None  # `zero_grad`

    def keyword(self, name: str) -> ast.expr | None:
        return call_argument(self.node, name)

    def positional(self, index: int) -> ast.expr | None:
        return call_argument(self.node, None, index)


class Binding(NamedTuple):
    """A name bound in a scope. A named tuple, as `Use`: one per binding of a file."""

    index: int
    name: str  # dotted: `model`, `model.config.use_cache`
    value: ast.expr | None  # None where the bound value is not one expression
    chain: Chain
    kind: str  # "assign", "param", "for", "with", "aug", "del", "import", "def", "other"
    # assign: Assign, AnnAssign or NamedExpr; param: ast.arg; for: For or AsyncFor; with: With
    # or AsyncWith; aug: AugAssign; del: Delete; import: ast.alias; def: (Async)FunctionDef or ClassDef
    node: ast.AST


class Use(NamedTuple):
    """A read of a name. A named tuple: a file has one per name read, per enclosing scope,
    and a frozen dataclass costs three times as much to build."""

    index: int
    name: str
    # The ast.Name; where the name is no node of its own in `ast`, the node that holds it: the
    # Global/Nonlocal statement, the import's ast.alias or ast.ImportFrom (the module's first
    # name), the match pattern (MatchAs, MatchStar, MatchMapping, a keyword pattern of MatchClass).
    node: ast.AST
    chain: Chain
    role: str  # "receiver" (x.m()), "attr" (x.a), "arg" (f(x)), "nested" (read in an inner scope), "other"
    detail: str | None = None  # the method for "receiver", the callee's dotted name for "arg"
    call: ast.Call | None = None  # for "arg": the call the name is an argument of


class ScopeFlow:
    """One scope's records, filled in by the walk. A slotted class, not a dataclass: creating a
    dataclass costs about a millisecond of every run's start."""

    __slots__ = ("node", "calls", "bindings", "uses", "inner")

    def __init__(self, node: ast.AST) -> None:
        self.node = node  # ast.Module, ast.FunctionDef, ast.AsyncFunctionDef or ast.ClassDef
        self.calls: list[CallEvent] = []
        self.bindings: list[Binding] = []
        self.uses: list[Use] = []  # the scope's own reads (see `uses_of`)
        # The functions and classes defined directly in this scope, each with this scope's
        # chain where it is defined: their reads are this scope's "nested" uses.
        self.inner: list[tuple[ScopeFlow, Chain]] = []

    def __repr__(self) -> str:
        return f"ScopeFlow({type(self.node).__name__} at line {getattr(self.node, 'lineno', 1)})"

    def bindings_of(self, name: str) -> list[Binding]:
        return [b for b in self.bindings if b.name == name]

    def uses_of(self, name: str) -> list[Use]:
        """The reads of `name` in this scope, and (role "nested", at the chain of the
        definition) its reads in the scopes inside it, in the order they are written. The
        nested ones are derived when asked: most scopes are never asked."""
        found = [u for u in self.uses if u.name == name]
        nested = [
            Use(u.index, name, u.node, chain, "nested") for scope, chain in self.inner for u in scope.uses_of(name)
        ]
        if not nested:
            return found
        return sorted(found + nested, key=_index)

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


def int_literal(expr: ast.AST | None) -> int | None:
    """The value of an integer literal (not `True`/`False`, not `-1`)."""
    if type(expr) is ast.Constant and type(expr.value) is int:
        return expr.value
    return None


def bool_literal(expr: ast.AST | None) -> bool | None:
    if type(expr) is ast.Constant and type(expr.value) is bool:
        return expr.value
    return None


# ---------------------------------------------------------------------------------------------


class _BoolOperands:
    """Stands in a chain for a `BoolOp` being walked: resolved, when a chain is read, to a
    "bool" frame of the operand the walk is in (none for the first operand)."""

    __slots__ = ("depth", "node")

    def __init__(self, node: ast.BoolOp, depth: int) -> None:
        self.node = node
        self.depth = depth  # the BoolOp's place in the walk's `parents`


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# The walker makes a record per name read, call and binding: built with tuple.__new__ and
# every field given, they skip the named tuple's generated __new__ (a Python function, a
# frame per record, the slower when defaults are filled in).
_record = tuple.__new__


class FlowWalker:
    """Records the flow of every scope. One visitor of the shared walk, ahead of the rules,
    which keeps the chain of ancestors in `parents`: `walk(tree, [..., flow, *rules],
    parents=flow.parents)`."""

    def __init__(self) -> None:
        self.scopes: list[ScopeFlow] = []
        self._stack: list[ScopeFlow] = []
        self._chains: list[list[Any]] = []  # Frames, and _BoolOperands in the innermost one
        self._chain_tuples: list[Chain | None] = []  # tuple(chain) per scope, None when stale
        self._parents: list[ast.AST] = []
        self._counter = 0
        self._bools = 0  # BoolOps being walked (always in the innermost scope)

    # -- bookkeeping -----------------------------------------------------------------------
    def _next(self) -> int:
        self._counter += 1
        return self._counter

    @property
    def _scope(self) -> ScopeFlow:
        return self._stack[-1]

    def _chain(self) -> Chain:
        if self._bools:
            return self._resolved(self._chains[-1])
        # Most names of a block share its chain: the tuple is built once per change.
        chain = self._chain_tuples[-1]
        if chain is None:
            chain = self._chain_tuples[-1] = tuple(self._chains[-1])
        return chain

    def _resolved(self, frames: list[Any]) -> Chain:
        out: list[Frame] = []
        parents = self._parents
        for frame in frames:
            if type(frame) is _BoolOperands:
                operand = parents[frame.depth + 1] if frame.depth + 1 < len(parents) else None
                if operand is not None and operand is not frame.node.values[0]:
                    out.append(Frame("bool", operand))
            else:
                out.append(frame)
        return tuple(out)

    def _push(self, kind: str, node: ast.AST) -> None:
        self._chains[-1].append(_record(Frame, (kind, node)))
        self._chain_tuples[-1] = None

    def _pop(self) -> None:
        self._chains[-1].pop()
        self._chain_tuples[-1] = None

    def _enter_scope(self, node: ast.AST) -> None:
        scope = ScopeFlow(node)
        if self._stack:
            # The enclosing scope's chain stays as it is until this scope is left.
            self._stack[-1].inner.append((scope, self._outer_chain(len(self._stack) - 1)))
        self.scopes.append(scope)
        self._stack.append(scope)
        self._chains.append([])
        self._chain_tuples.append(())

    def _leave_scope(self) -> None:
        self._stack.pop()
        self._chains.pop()
        self._chain_tuples.pop()

    @property
    def parents(self) -> list[ast.AST]:
        """The chain of ancestors of the node being visited (itself last), kept by the walk."""
        return self._parents

    def _bind(self, target: ast.AST, value: ast.expr | None, kind: str, node: ast.AST) -> None:
        kind_of = type(target)
        if kind_of is ast.Tuple or kind_of is ast.List:
            for element in target.elts:
                self._bind(element, None, kind, node)
            return
        if kind_of is ast.Starred:
            self._bind(target.value, None, kind, node)
            return
        name = dotted_name(target)
        if name is None and kind_of is ast.Subscript:
            # `d[k] = v` changes `d`'s contents: recorded as an unclear binding of `d.[]`.
            base = dotted_name(target.value)
            name = None if base is None else f"{base}.[]"
        if name is not None:
            self._scope.bindings.append(_record(Binding, (self._next(), name, value, self._chain(), kind, node)))

    # -- scopes ----------------------------------------------------------------------------
    def visit_Module(self, node: ast.Module) -> None:
        self._enter_scope(node)

    def leave_Module(self, node: ast.Module) -> None:
        self._leave_scope()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._scope.bindings.append(Binding(self._next(), node.name, None, self._chain(), "def", node))
        self._enter_scope(node)
        params = node.args
        bindings = self._scope.bindings
        for param in (*params.posonlyargs, *params.args, *params.kwonlyargs):
            bindings.append(Binding(self._next(), param.arg, None, (), "param", param))
        for star in (params.vararg, params.kwarg):
            if star is not None:
                bindings.append(Binding(self._next(), star.arg, None, (), "param", star))

    def leave_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._leave_scope()

    visit_AsyncFunctionDef = visit_FunctionDef
    leave_AsyncFunctionDef = leave_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._scope.bindings.append(Binding(self._next(), node.name, None, self._chain(), "def", node))
        self._enter_scope(node)

    def leave_ClassDef(self, node: ast.ClassDef) -> None:
        self._leave_scope()

    # -- frames ----------------------------------------------------------------------------
    def visit_For_body(self, node: ast.For | ast.AsyncFor) -> None:
        self._push("for", node)
        self._bind(node.target, None, "for", node)

    def visit_For_orelse(self, node: ast.For | ast.AsyncFor) -> None:
        self._push("for-else", node)

    def visit_While(self, node: ast.While) -> None:
        self._push("while", node)

    def visit_If_body(self, node: ast.If) -> None:
        self._push("if", node)

    def visit_If_orelse(self, node: ast.If) -> None:
        self._push("else", node)

    # `try ... except*` had no frames in the libcst records (no hooks of TryStar): nor here.
    def visit_Try_body(self, node: ast.Try) -> None:
        self._push("try", node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if type(self._parents[-2]) is ast.Try:
            self._push("except", node)

    def leave_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if type(self._parents[-2]) is ast.Try:
            self._pop()

    def visit_Try_orelse(self, node: ast.Try) -> None:
        self._push("try-else", node)

    def visit_Try_finalbody(self, node: ast.Try) -> None:
        self._push("finally", node)

    def visit_With_body(self, node: ast.With | ast.AsyncWith) -> None:
        self._push("with", node)
        for item in node.items:
            if item.optional_vars is not None:
                self._bind(item.optional_vars, item.context_expr, "with", node)

    def visit_Match(self, node: ast.Match) -> None:
        self._push("match", node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self._push("ifexp", node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._push("lambda", node)

    def _visit_comp(self, node: ast.AST) -> None:
        self._push("comp", node)

    def _leave(self, node: ast.AST) -> None:
        self._pop()

    leave_For_body = leave_For_orelse = leave_While = leave_If_body = leave_If_orelse = _leave
    leave_Try_body = leave_Try_orelse = leave_Try_finalbody = leave_With_body = leave_Match = _leave
    leave_IfExp = leave_Lambda = _leave
    visit_AsyncFor_body, leave_AsyncFor_body = visit_For_body, _leave
    visit_AsyncFor_orelse, leave_AsyncFor_orelse = visit_For_orelse, _leave
    visit_AsyncWith_body, leave_AsyncWith_body = visit_With_body, _leave
    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_comp
    leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave

    # Every operand after the first runs only as the ones before it say: libcst's left-nested
    # two-operand operations gave each of them a "bool" frame of its own.
    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        self._chains[-1].append(_BoolOperands(node, len(self._parents) - 1))
        self._chain_tuples[-1] = None
        self._bools += 1

    def leave_BoolOp(self, node: ast.BoolOp) -> None:
        self._bools -= 1
        self._pop()

    # -- events ----------------------------------------------------------------------------
    def leave_Call(self, node: ast.Call) -> None:
        func = node.func
        receiver = method = None
        if type(func) is ast.Attribute:
            receiver = dotted_name(func.value)
            method = func.attr
        self._scope.calls.append(_record(CallEvent, (self._next(), node, self._chain(), dotted_name(func), receiver, method)))

    def leave_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._bind(target, node.value, "assign", node)

    def leave_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value, "assign", node)

    def leave_AugAssign(self, node: ast.AugAssign) -> None:
        self._bind(node.target, None, "aug", node)

    def leave_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._bind(node.target, node.value, "assign", node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._bind(target, None, "del", node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname is not None:
                self._scope.bindings.append(Binding(self._next(), alias.asname, None, self._chain(), "import", alias))
            else:
                head = alias.name.split(".", 1)[0]
                self._scope.bindings.append(Binding(self._next(), head, None, self._chain(), "import", alias))
            if "." in alias.name:
                # libcst read `import a.b`'s `a` as an attribute's object.
                self._use(alias.name.split(".", 1)[0], alias, "attr")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module is not None:
            # libcst read `from a import x`'s module name `a` (`a.b`: `a` as an attribute's object).
            head, dot, _ = node.module.partition(".")
            self._use(head, node, "attr" if dot else "other")
        for alias in node.names:
            if alias.name == "*":
                continue
            self._scope.bindings.append(
                Binding(self._next(), alias.asname or alias.name, None, self._chain(), "import", alias)
            )

    def _global(self, node: ast.Global | ast.Nonlocal) -> None:
        for name in node.names:
            self._use(name, node, "nested")

    visit_Global = visit_Nonlocal = _global

    # Names in match patterns are strings in `ast`; libcst read them as names.
    def _pattern(self, node: ast.pattern) -> None:
        parent = self._parents[-2]
        if type(parent) is ast.MatchClass:
            for attr, pattern in zip(parent.kwd_attrs, parent.kwd_patterns):
                if pattern is node:
                    self._use(attr, node, "other")
                    break
        if type(node) is ast.MatchStar and node.name is not None:
            self._use(node.name, node, "other")

    visit_MatchValue = visit_MatchSingleton = visit_MatchSequence = visit_MatchMapping = _pattern
    visit_MatchClass = visit_MatchStar = visit_MatchAs = visit_MatchOr = _pattern

    def leave_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name is not None:
            self._use(node.name, node, "other")

    def leave_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest is not None:
            self._use(node.rest, node, "other")

    def visit_Name(self, node: ast.Name) -> None:
        parents = self._parents
        parent = parents[-2] if len(parents) > 1 else None
        grand = parents[-3] if len(parents) > 2 else None
        kind = type(parent)
        detail = call = None
        # By exact class: parsed trees hold no subclasses, and this runs for every name of a file.
        if kind is ast.Attribute:  # the name is the attribute's object
            if type(grand) is ast.Call and grand.func is parent:
                role = "receiver"
                detail = parent.attr
            else:
                role = "attr"
        elif kind is ast.Call:
            if parent.func is node:
                return  # a function called by name: its calls are CallEvents
            role, detail, call = "arg", dotted_name(parent.func), parent
        elif kind is ast.keyword or kind is ast.Starred:
            if type(grand) is ast.Call:
                role, detail, call = "arg", dotted_name(grand.func), grand
            elif type(grand) is ast.ClassDef or kind is ast.keyword:
                role = "arg"  # a class's base or keyword
            else:
                role = "other"
        elif kind is ast.Assign:
            if parent.value is not node:
                return
            role = "other"
        elif kind in _TARGET_PARENTS:
            if parent.target is node:
                return
            role = "other"
        elif kind is ast.withitem:
            if parent.optional_vars is node:
                return
            role = "other"
        elif kind is ast.arguments:
            return  # a parameter's default: libcst's Param child, not read
        elif kind is ast.ClassDef:
            role = "arg" if any(base is node for base in parent.bases) else "other"
        else:
            role = "other"
        self._use(node.id, node, role, detail, call)

    def _use(self, name: str, node: ast.AST, role: str, detail: str | None = None, call: ast.Call | None = None) -> None:
        # A read inside a nested function or class is also a use the enclosing scopes cannot
        # follow: `ScopeFlow.uses_of` derives those.
        self._counter += 1
        self._stack[-1].uses.append(_record(Use, (self._counter, name, node, self._chain(), role, detail, call)))

    def _outer_chain(self, depth: int) -> Chain:
        chain = self._chain_tuples[depth]
        if chain is None:
            chain = self._chain_tuples[depth] = tuple(self._chains[depth])
        return chain


def _index(event: Use) -> int:
    return event.index


_TARGET_PARENTS = frozenset({ast.AugAssign, ast.AnnAssign, ast.NamedExpr, ast.For, ast.AsyncFor})

def module_flow(module: ast.Module) -> tuple[ScopeFlow, ...]:
    """The flow of every scope of `module`, walked on its own (the engine records it in the
    file's one shared walk instead)."""
    walker = FlowWalker()
    walk(module, [walker], parents=walker.parents)
    return tuple(walker.scopes)


# -- pruners ---------------------------------------------------------------------------------


class PrunerVar(NamedTuple):
    """`name = SomePruner(model, ...)`, bound once in its scope."""

    name: str
    cls: str
    call: ast.Call
    binding: Binding
    scope: ScopeFlow

    def argument(self, name: str, position: int | None = None) -> ast.expr | None:
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
    ignore: ast.Call | None = None,
    harmless: Callable[[ast.Call], bool] | None = None,
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
        if binding.kind != "assign" or type(call) is not ast.Call or "." in binding.name:
            continue
        cls = rule.pruner_class(call)
        # Bound once (in a loop, once per iteration: each iteration's pruner is a new one).
        if cls is None or scope.bindings_of(binding.name) != [binding]:
            continue
        yield PrunerVar(binding.name, cls, call, binding, scope)


def strip_same_object(expr: ast.AST | None, methods: Sequence[str]) -> ast.AST | None:
    """`nn.DataParallel(m).cuda()` is the DataParallel: drop calls that return their receiver."""
    while type(expr) is ast.Call and type(expr.func) is ast.Attribute and expr.func.attr in methods:
        expr = expr.func.value
    return expr


def value_at(scope: ScopeFlow, expr: ast.AST | None, at: int, chain: Chain) -> tuple[ast.AST | None, Binding | None]:
    """What `expr` holds at event `at`: itself, or for a plain name the value of the binding that
    surely reaches there (None where that is unclear or not one expression)."""
    if type(expr) is ast.Name:
        binding = scope.reaching(expr.id, at, chain)
        if binding is None or binding.kind != "assign":
            return None, binding
        return binding.value, binding
    return expr, None


class PruneEvent(NamedTuple):
    """A place where `model` is pruned: `pruner.step()` or `group.prune()`."""

    model: str
    call: CallEvent
    pruner: PrunerVar | None = None


def graph_vars(scope: ScopeFlow, rule: NameLookup) -> dict[str, tuple[str, Binding]]:
    """`DG = tp.DependencyGraph().build_dependency(model, ...)`, bound once: name -> (model, binding)."""
    found: dict[str, tuple[str, Binding]] = {}
    for binding in scope.bindings:
        call = binding.value
        if binding.kind != "assign" or "." in binding.name or type(call) is not ast.Call:
            continue
        func = call.func
        if not (type(func) is ast.Attribute and func.attr in rule.api.tracing_methods):
            continue
        if not (type(func.value) is ast.Call and rule.qualified_name(func.value.func) in rule.api.dependency_graph_classes):
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
            source = call.node.func.value if type(call.node.func) is ast.Attribute else None
            origin: ast.AST | None = source
            if type(source) is ast.Name:
                origin = _group_origin(scope, source.id, call)
            if type(origin) is ast.Call and type(origin.func) is ast.Attribute and origin.func.attr in group_methods:
                graph = dotted_name(origin.func.value)
                if graph in graphs:
                    events.append(PruneEvent(graphs[graph][0], call))
    return sorted(events, key=lambda e: e.call.index)


def _only_argument(call: ast.Call) -> ast.expr | None:
    """The value of a call's one argument, whatever its kind (`f(x)`, `f(*x)`, `f(k=x)`)."""
    if len(call.args) + len(call.keywords) != 1:
        return None
    if call.args:
        arg = call.args[0]
        return arg.value if type(arg) is ast.Starred else arg
    return call.keywords[0].value


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
        source = call.node.func.value if type(call.node.func) is ast.Attribute else None
        if type(source) is not ast.Name:
            continue
        origin = _group_origin(scope, source.id, call)
        if type(origin) is ast.Name:  # groups = list(pruner.step(interactive=True))
            binding = scope.reaching(origin.id, call.index, call.chain)
            origin = binding.value if binding is not None and binding.kind == "assign" else None
        if type(origin) is ast.Call and type(origin.func) is ast.Name and origin.func.id in ("list", "tuple"):
            origin = _only_argument(origin)
        if origin is step.node:
            return True
    return False


def _group_origin(scope: ScopeFlow, name: str, call: CallEvent) -> ast.AST | None:
    """The call a group name came from: `g = DG.get_pruning_group(...)`, or the iterable of the
    `for g in DG.get_all_groups(...)` loop around the call."""
    binding = scope.reaching(name, call.index, call.chain)
    if binding is None:
        return None
    if binding.kind == "assign":
        return binding.value
    if binding.kind == "for" and type(binding.node) in (ast.For, ast.AsyncFor) and type(binding.node.target) is ast.Name:
        return binding.node.iter
    return None


def is_backward(call: CallEvent, rule: NameLookup) -> bool:
    table = rule.api.table("gradient_importances")
    if call.method is not None and call.method in table.get("backward_methods", ()):
        return True  # `loss.backward()`, `scaler.scale(loss).backward()`
    return rule.qualified_name(call.node.func) in table.get("backward_functions", ())


def is_optimizer_call(rule: NameLookup, call: ast.Call) -> bool:
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


def calls_in(expr: ast.AST) -> Iterator[ast.Call]:
    """Every call inside an expression (the expression itself included), in source order."""
    for node in iter_nodes(expr):
        if type(node) is ast.Call:
            yield node


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
