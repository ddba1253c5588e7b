"""One pass over a file's CPython tree that records its names, calls and autograd contexts.

The `ast` twin of `prunelint.analysis.collector`: the same `ModuleFacts`, field for field, node
ordinal for node ordinal. It is a visitor of the shared walk (`prunelint.model.walk.walk`);
`collect` runs it alone. Where the two trees differ, libcst's is reproduced:

- `True`, `False` and `None` are names in libcst's tree (`Name`), constants in CPython's: as
  dotted names they are still `True`, `False` and `None` (`_dotted`).
- libcst lists a call's arguments in the order they are written; `ast` keeps positional
  arguments and keywords apart (`written_arguments`).
- A suite (an indented block, or the statements after a colon on its line) is a node in
  libcst's tree and a list here: the walk's field hooks stand for it. An `elif` is no suite of
  its own in libcst's tree (`If.orelse` is the `If`), an `else:` is.
- libcst's `SimpleString` is one string literal: an implicit concatenation (`"a" "b"`), one
  `Constant` in CPython's tree, is not one (`_single_string`).
"""

from __future__ import annotations

import ast
from functools import partial
from typing import Literal, NamedTuple

from prunelint.analysis.facts import CallFact, ClassFact, FunctionFact, Loc, ModuleFacts, ParamCallFact, Symbol
from prunelint.analysis.gradmode import Origin, effect_of
from prunelint.analysis.scopes import API_PACKAGES, Pending, Resolver, Scope, Value
from prunelint.model.contexts import Form, ModeResolver, RawContext, written_arguments
from prunelint.model.located import LocatedNodes
from prunelint.model.names import dotted_name
from prunelint.model.text import SourceText
from prunelint.settings.apidata import GETATTR_PRUNER, ApiData, GradApi

# Builtins that iterate their argument on the spot, so a generator passed to them runs there.
CONSUMERS = frozenset({"list", "tuple", "set", "frozenset", "dict", "sorted", "next", "sum", "any", "all", "min", "max"})
Skip = Literal["skip"]
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def collect(tree: ast.Module, path: str, api: ApiData, text: SourceText) -> ModuleFacts:
    """The facts of one file, from its own walk (the engine adds the collector to the shared
    one instead). Run it on a deep stack, as the walk (`prunelint.analysis.deepstack`)."""
    from prunelint.model.walk import walk

    collector = FactCollector(path, api, text)
    walk(tree, [collector])
    return collector.facts


def is_api_name(api: ApiData, qualname: str) -> bool:
    return qualname in api.grad_apis or api.pruner_class(qualname) is not None or api.is_graph_class(qualname)


def _constant_name(node: ast.AST) -> str | None:
    """`True`, `False`, `None`: names in libcst's tree."""
    if type(node) is ast.Constant:
        value = node.value
        if value is None or type(value) is bool:
            return str(value)
    return None


def _dotted(node: ast.AST) -> str | None:
    """`dotted_name`, with `True`, `False` and `None` as the names libcst has them for."""
    found = dotted_name(node)
    if found is not None:
        return found
    parts: list[str] = []
    while type(node) is ast.Attribute:
        parts.append(node.attr)
        node = node.value
    head = _constant_name(node)
    if head is None:
        return None
    parts.append(head)
    return ".".join(reversed(parts))


def _name_of(node: ast.AST) -> str | None:
    """The name of a `Name` (as libcst has them: `True`, `False`, `None` too)."""
    if type(node) is ast.Name:
        return node.id
    return _constant_name(node)


def _unwrap(expr: ast.expr) -> ast.expr:
    """`(ctx := torch.no_grad())` is `torch.no_grad()` for what it switches."""
    while type(expr) is ast.NamedExpr:
        expr = expr.value
    return expr


class _PendingCall(NamedTuple):
    """A call, kept until the end of the module, when every name it may refer to is bound."""

    dotted: str | None
    value: Pending | None
    method: str
    scope: Scope
    # The running frame's entry (its decorators), read at the end of the module: a decorator
    # applied by a call after the def (`f = torch.no_grad()(f)`) covers the calls in its body.
    entry: list[RawContext]
    chain: tuple[RawContext, ...]
    loc: Loc
    text: str
    consumed: bool
    # The call: its arguments that are names are read when the callee resolves (most do not).
    node: ast.Call

    @property
    def contexts(self) -> tuple[RawContext, ...]:
        return tuple(self.entry) + self.chain


class _Frame:
    """The function, class or module being walked. A plain class, one per scope: a dataclass
    with its default factories costs several times as much to make."""

    __slots__ = ("scope", "entry", "chain", "suites", "in_header", "deferred", "coroutine", "class_entry", "params")

    def __init__(self, scope: Scope, in_header: bool = True) -> None:
        self.scope = scope
        self.entry: list[RawContext] = []  # decorators, filled before the body
        self.chain: list[RawContext] = []
        self.suites: list[int] = []
        # Decorators and default values run in the enclosing scope, before the body starts.
        self.in_header = in_header
        self.deferred = False  # a generator or coroutine
        # `async def`: a decorator that switches a grad mode around the call only makes the
        # coroutine object there, so it does not cover the body (torch's context decorators wrap
        # generator functions specially, coroutines not: torch/utils/_contextlib.py).
        self.coroutine = False
        self.class_entry: list[RawContext] = []  # a class's decorators
        self.params: list[str] = []  # a function's parameters, in order


class FactCollector(LocatedNodes):
    """A visitor of the shared walk; `facts` is complete once it has left the module."""

    def __init__(self, path: str, api: ApiData, text: SourceText) -> None:
        super().__init__()
        self.path = path
        self.api = api
        self.text = text
        self._on_call_names = {q.rsplit(".", 1)[-1] for q, g in api.grad_apis.items() if g.on_call}
        # Not the bound method: a cycle through it would keep the collector, and the nodes it
        # holds, alive until a full collection.
        self._resolver = Resolver(partial(is_api_name, api))
        self._modes = ModeResolver(path, api, self._resolver)
        module = _Frame(Scope("module", "", None), in_header=False)
        self._scopes: list[Scope] = [module.scope]
        module.suites.append(0)
        self._frames: list[_Frame] = [module]
        self._calls: list[_PendingCall] = []
        self._functions: list[tuple[str, _Frame]] = []
        self._classes: list[tuple[str, Scope, list[str]]] = []
        self._with_marks: list[tuple[int, int]] = []
        self._with_locs: list[Loc] = []
        self._consumed: set[int] = set()
        self._lambda_names: dict[int, str] = {}
        self._call_locs: dict[int, Loc] = {}
        self.facts = ModuleFacts(path)

    # -- helpers --------------------------------------------------------------------------------
    @property
    def _frame(self) -> _Frame:
        return self._frames[-1]

    @property
    def _scope(self) -> Scope:
        return self._frame.scope

    def _running_frame(self) -> _Frame:
        """The frame whose code runs here: a def's header runs in the enclosing one."""
        for frame in reversed(self._frames):
            if not frame.in_header:
                return frame
        return self._frames[0]

    def _may_switch_on_call(self, dotted: str) -> bool:
        """Cheap test for statements like `torch.set_grad_enabled(False)`, aliases included."""
        if dotted.rsplit(".", 1)[-1] in self._on_call_names:
            return True
        found, value = self._resolver.lookup(self._scope, dotted.split(".", 1)[0])
        if isinstance(value, Pending):
            return value.how == "alias"
        return found and isinstance(value, Symbol) and value.name.startswith("torch")

    def _latest_frame(self, qualname: str) -> _Frame | None:
        """The frame of the last function defined with this qualified name so far."""
        return next((f for q, f in reversed(self._functions) if q == qualname), None)

    def _lambda_name(self, node: ast.Lambda) -> str:
        if id(node) not in self._lambda_names:
            scope = self._scope.function_scope()
            scope.lambdas += 1
            self._lambda_names[id(node)] = f"<lambda#{scope.lambdas}>"
        return self._lambda_names[id(node)]

    def _single_string(self, node: ast.expr) -> str | None:
        """The value of one string literal (libcst's `SimpleString`), not of an implicit
        concatenation or an f-string."""
        if type(node) is not ast.Constant or type(node.value) is not str:
            return None
        tokens = self.text.string_tokens(node)
        return node.value if tokens is not None and tokens == [self.text.segment(node)] else None

    def _value_of(self, expr: ast.expr) -> Value | Skip:
        expr = _unwrap(expr)
        dotted = _dotted(expr)
        if dotted == "None":
            # `tp = None` after a failed import: where `tp.x(...)` runs, tp is the module.
            return "skip"
        if dotted is not None:
            return Pending("alias", dotted, self._scope)
        kind = type(expr)
        if kind is ast.Lambda:
            return Symbol("local", self._scope.child_qualname(self._lambda_name(expr)))
        if kind is ast.Subscript:
            name = _name_of(expr.value)
            if name is not None:
                return Pending("item", name, self._scope)  # `REGISTRY[name]`
            return None
        if kind is ast.Call:
            func = _dotted(expr.func)
            if func is None:
                return None
            args = written_arguments(expr)
            if func == "getattr" and len(args) >= 2 and not any(star or keyword for keyword, star, _ in args[:2]):
                module = _dotted(args[0][2])
                attr = self._single_string(args[1][2])
                if module is not None and attr is not None and attr.isidentifier():
                    return Pending("alias", f"{module}.{attr}", self._scope)
                if module is not None:
                    # `getattr(tp.pruner, name)`: some pruner class, if the module is the
                    # pruners' (decided once names are resolved).
                    return Pending("alias", f"{module}.{GETATTR_PRUNER}", self._scope)
                return None
            if func.endswith(".get") and func.count(".") == 1 and args:
                return Pending("item", func.split(".", 1)[0], self._scope)  # `REGISTRY.get(name)`
            if func.rsplit(".", 1)[-1] == "partial" and args:
                target = _dotted(args[0][2])
                if target is None or args[0][1]:
                    return None
                return Pending("partial", target, self._scope, partial_func=func)
            return Pending("instance", func, self._scope, call=expr)
        return None

    def _bind_target(self, target: ast.expr, value: Value | Skip) -> None:
        if value == "skip":
            return
        kind = type(target)
        if kind is ast.Name:
            self._scope.bind(target.id, value)
        elif kind is ast.Attribute:
            dotted = _dotted(target)
            cls = self._scope.enclosing_class()
            if dotted and cls is not None and dotted.count(".") == 1 and dotted.startswith("self."):
                cls.self_attrs.setdefault(target.attr, []).append(value)
        elif kind is ast.Tuple or kind is ast.List:
            for element in target.elts:
                # libcst's elements hold a starred element's value
                self._bind_target(element.value if type(element) is ast.Starred else element, None)
        elif kind is ast.Starred:
            self._bind_target(target.value, None)

    def _context(self, expr: ast.expr, form: Form, loc: Loc, scope: Scope) -> RawContext | None:
        # Every with-item and decorator is kept (they are few): whether it is a grad mode, under
        # whatever alias, is decided once names are resolved.
        prefix = "@" if form == "decorator" else "with "
        expr = _unwrap(expr)
        call = expr if type(expr) is ast.Call else None
        dotted = _dotted(call.func if call is not None else expr)
        if dotted is None:
            return None
        if call is None and form == "with":
            # `im = torch.inference_mode()` then `with im:` switches as the call would.
            found, value = self._resolver.lookup(scope, dotted)
            if found and isinstance(value, Pending) and type(value.call) is ast.Call:
                return RawContext(value.dotted, value.scope, value.call, f"`with {dotted}`", loc, form)
        args = "" if call is None else _args_text(call)
        return RawContext(dotted, scope, call, f"`{prefix}{dotted}{args}`", loc, form)

    # -- scopes ---------------------------------------------------------------------------------
    def _push_scope(self, kind, name: str) -> Scope:
        parent = self._scope
        scope = Scope(kind, parent.child_qualname(name), parent)
        self._scopes.append(scope)
        self._frames.append(_Frame(scope))
        return scope

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        name = node.name
        parent = self._frame
        qualname = self._scope.child_qualname(name)
        self._scope.bind(name, Symbol("local", qualname))
        scope = self._push_scope("function", name)
        frame = self._frame
        frame.deferred = frame.coroutine = type(node) is ast.AsyncFunctionDef
        if name == "__init__" and parent.scope.kind == "class":
            # torch's grad-mode decorators on a class wrap its instantiation.
            frame.entry.extend(parent.class_entry)
        self._functions.append((qualname, frame))
        params = _params(node.args)
        frame.params = params
        for param in params:
            scope.bind(param, None)
        if params and parent.scope.kind == "class" and _decorated(node, "classmethod"):
            scope.bindings[params[0]] = [Symbol("local", parent.scope.qualname)]

    visit_AsyncFunctionDef = visit_FunctionDef

    def _decorator(self, node: ast.expr, loc: Loc) -> None:
        frame = self._frame
        if not frame.in_header or frame.scope.parent is None:
            return
        ctx = self._context(node, "decorator", loc, frame.scope.parent)
        if ctx is None:
            return
        if frame.scope.kind == "function":
            if not frame.coroutine:
                frame.entry.append(ctx)
        elif frame.scope.kind == "class":
            frame.class_entry.append(ctx)

    def _pop_frame(self, node: ast.AST) -> None:
        self._frames.pop()

    leave_FunctionDef = leave_AsyncFunctionDef = leave_ClassDef = leave_Lambda = _pop_frame

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        name = node.name
        qualname = self._scope.child_qualname(name)
        self._scope.bind(name, Symbol("local", qualname))
        bases = [d for b in node.bases if (d := _dotted(b.value if type(b) is ast.Starred else b))]
        self._classes.append((qualname, self._scope, bases))
        self._push_scope("class", name)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        scope = self._push_scope("lambda", self._lambda_name(node))
        for param in _params(node.args):
            scope.bind(param, None)
        self._frame.in_header = False
        self._functions.append((scope.qualname, self._frame))
        self._frame.suites.append(0)

    def _enter_comprehension(self, node: ast.expr) -> None:
        frame = self._frame
        frame.scope = Scope("comprehension", frame.scope.qualname, frame.scope)
        self._scopes.append(frame.scope)

    def _leave_comprehension(self, node: ast.expr) -> None:
        frame = self._frame
        assert frame.scope.parent is not None
        frame.scope = frame.scope.parent

    # Every comprehension has a scope of its own for its loop variables.
    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _enter_comprehension
    leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave_comprehension

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self._bind_target(node.target, None)
        self._consumed.add(id(node.iter))

    # -- bindings -------------------------------------------------------------------------------
    def visit_Global(self, node: ast.Global) -> None:
        self._scope.global_names.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self._scope.nonlocal_names.update(node.names)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname is not None:
                self._scope.bind(alias.asname, Symbol("external", alias.name))
            else:
                head = alias.name.split(".", 1)[0]
                self._scope.bind(head, Symbol("external", head))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        level = node.level or 0
        module = node.module or ""
        if node.names[0].name == "*":
            if self._scope.kind == "module":
                self._scope.star_imports.append("." * level + module)
                kind = "relative" if level else "external"
                self.facts.star_imports.append(Symbol(kind, module, level=level))
            return
        for alias in node.names:
            name = alias.name
            bound = alias.asname if alias.asname is not None else name
            full = f"{module}.{name}" if module else name
            self._scope.bind(bound, Symbol("relative" if level else "external", full, level=level))

    def visit_Assign(self, node: ast.Assign) -> None:
        value = self._value_of(node.value)
        for target in node.targets:
            self._bind_target(target, value)
            if type(target) is ast.Name:
                self._bind_items(target.id, node.value)

    def _bind_items(self, name: str, container: ast.expr) -> None:
        """`PRUNERS = {"l1": tp.pruner.MagnitudePruner, ...}`: what its elements may be."""
        elements = _literal_elements(container)
        if elements is None:
            return
        scope = self._scope.module() if name in self._scope.global_names else self._scope
        values = [self._value_of(e) for e in elements]
        scope.items.setdefault(name, []).extend(v for v in values if v != "skip")

    def leave_Assign(self, node: ast.Assign) -> None:
        # `prev = torch.set_grad_enabled(False)` switches as well.
        self._statement_switch(node.value)
        self._decorated_by_call(node)

    def _decorated_by_call(self, node: ast.Assign) -> None:
        """`f = torch.no_grad()(f)`: a decorator applied by a call, to a function defined in
        this scope and rebound to its own name. The switch covers the body as `@` would."""
        value = node.value
        if not (
            len(node.targets) == 1
            and type(node.targets[0]) is ast.Name
            and type(value) is ast.Call
            and type(value.func) is ast.Call
            and len(value.args) == 1
            and not value.keywords
            and type(value.args[0]) is ast.Name
            and value.args[0].id == node.targets[0].id
        ):
            return
        name = node.targets[0].id
        qualname = self._scope.child_qualname(name)
        frame = self._latest_frame(qualname)
        if frame is None or frame.scope.parent is not self._scope or frame.scope.kind != "function":
            return
        decorator = value.func
        ctx = self._context(decorator, "decorator", self._call_locs[id(decorator)], self._scope)
        if ctx is not None:
            frame.entry.append(ctx.with_text(f"`{ctx.text[2:-1]}({name})`"))

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._bind_target(node.target, self._value_of(node.value))

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._bind_target(node.target, None)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._bind_target(node.target, self._value_of(node.value))

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        elements = _literal_elements(node.iter) if type(node.target) is ast.Name else None
        if elements:
            # `for Pruner in [tp.pruner.A, tp.pruner.B]:` holds each in turn: their union.
            for element in elements:
                self._bind_target(node.target, self._value_of(element))
        else:
            self._bind_target(node.target, None)
        self._consumed.add(id(node.iter))

    visit_AsyncFor = visit_For

    def visit_withitem_optional_vars(self, node: ast.withitem) -> None:
        # `with ... as x` (libcst's AsName, bound before the item is judged).
        target = node.optional_vars
        if type(target) in (ast.Name, ast.Tuple, ast.List):
            self._bind_target(target, None)

    # -- generators and coroutines --------------------------------------------------------------
    def visit_Yield(self, node: ast.Yield) -> None:
        self._frame.deferred = True

    def visit_YieldFrom(self, node: ast.YieldFrom) -> None:
        self._frame.deferred = True
        self._consumed.add(id(node.value))

    def visit_Await(self, node: ast.Await) -> None:
        self._consumed.add(id(node.value))

    # -- grad-mode contexts ---------------------------------------------------------------------
    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        self._with_marks.append((len(self._frame.chain), 0))

    visit_AsyncWith = visit_With

    def _with_item(self, node: ast.withitem, loc: Loc) -> None:
        self._with_locs.append(loc)

    def leave_withitem(self, node: ast.withitem) -> None:
        ctx = self._context(node.context_expr, "with", self._with_locs.pop(), self._scope)
        if ctx is not None:
            self._frame.chain.append(ctx)
            start, count = self._with_marks[-1]
            self._with_marks[-1] = (start, count + 1)

    def leave_With(self, node: ast.With | ast.AsyncWith) -> None:
        start, count = self._with_marks.pop()
        chain = self._frame.chain
        items, inside = chain[start : start + count], chain[start + count :]
        if not count:
            return  # the body's switches stay in the chain: they surely ran
        del chain[start:]
        if inside:
            # A `with` body surely runs; its switches outlive the block unless a grad-mode
            # item restores the mode on exit, which only resolution can tell.
            chain.append(RawContext.block(inside, certain=True, restored_by=items))

    leave_AsyncWith = leave_With

    # Suites: libcst's IndentedBlock and SimpleStatementSuite, here the statement-list fields.
    def _enter_suite(self, node: ast.AST | None = None) -> None:
        frame = self._frame
        if frame.in_header:
            frame.in_header = False  # the body of a def or class begins
        frame.suites.append(len(frame.chain))

    def _leave_suite(self, node: ast.AST | None = None) -> None:
        frame = self._frame
        start = frame.suites.pop()
        if not frame.suites:
            return  # the end of the scope
        inside = frame.chain[start:]
        del frame.chain[start:]
        if inside:
            frame.chain.append(RawContext.block(inside, certain=False))

    def _leave_with_body(self, node: ast.AST) -> None:
        self._frame.suites.pop()  # a `with` body: judged by leave_With

    def _enter_else(self, node: ast.AST) -> None:
        if node.orelse:
            self._enter_suite()

    def _leave_else(self, node: ast.AST) -> None:
        if node.orelse:
            self._leave_suite()

    def _enter_if_else(self, node: ast.If) -> None:
        if node.orelse and not _is_elif(node):
            self._enter_suite()

    def _leave_if_else(self, node: ast.If) -> None:
        if node.orelse and not _is_elif(node):
            self._leave_suite()

    def _enter_finally(self, node: ast.Try) -> None:
        if node.finalbody:
            self._enter_suite()

    def _leave_finally(self, node: ast.Try) -> None:
        if node.finalbody:
            self._leave_suite()

    def visit_ExceptHandler_body(self, node: ast.ExceptHandler) -> None:
        if node.name is not None:
            self._scope.bind(node.name, None)  # `except E as e` (libcst's AsName)
        self._enter_suite()

    visit_FunctionDef_body = visit_AsyncFunctionDef_body = visit_ClassDef_body = _enter_suite
    leave_FunctionDef_body = leave_AsyncFunctionDef_body = leave_ClassDef_body = _leave_suite
    visit_If_body = visit_For_body = visit_AsyncFor_body = visit_While_body = _enter_suite
    leave_If_body = leave_For_body = leave_AsyncFor_body = leave_While_body = _leave_suite
    visit_Try_body = visit_TryStar_body = visit_match_case_body = _enter_suite
    leave_Try_body = leave_TryStar_body = leave_match_case_body = leave_ExceptHandler_body = _leave_suite
    visit_With_body = visit_AsyncWith_body = _enter_suite
    leave_With_body = leave_AsyncWith_body = _leave_with_body
    visit_If_orelse, leave_If_orelse = _enter_if_else, _leave_if_else
    visit_For_orelse = visit_AsyncFor_orelse = visit_While_orelse = _enter_else
    leave_For_orelse = leave_AsyncFor_orelse = leave_While_orelse = _leave_else
    visit_Try_orelse = visit_TryStar_orelse = _enter_else
    leave_Try_orelse = leave_TryStar_orelse = _leave_else
    visit_Try_finalbody = visit_TryStar_finalbody = _enter_finally
    leave_Try_finalbody = leave_TryStar_finalbody = _leave_finally

    def leave_Expr(self, node: ast.Expr) -> None:
        self._statement_switch(node.value)

    def _statement_switch(self, value: ast.expr) -> None:
        if type(value) is not ast.Call:
            return
        loc = self._call_locs[id(value)]
        dotted = _dotted(value.func)
        if self._entered_context(value, dotted):
            return
        if dotted is not None and self._may_switch_on_call(dotted):
            self._frame.chain.append(
                RawContext(dotted, self._scope, value, f"`{dotted}{_args_text(value)}`", loc, "statement")
            )
        elif dotted is not None and "." not in dotted:
            self._helper_switch(dotted, loc)

    def _helper_switch(self, name: str, loc: Loc) -> None:
        """`setup()` as a statement, where `setup` is a function of this module defined above
        whose body switches autograd with a statement (`torch.set_grad_enabled(False)`): what
        its body leaves in force when it returns holds after the call too."""
        found, value = self._resolver.lookup(self._scope, name)
        if not found or not isinstance(value, Symbol) or value.kind != "local":
            return
        frame = self._latest_frame(value.name)
        if frame is None or frame.deferred or frame is self._frame or not any(c.form == "statement" for c in frame.chain):
            return
        text = f"`{name}()` (a function that switches autograd off and returns with it still off)"
        self._frame.chain.append(RawContext(name, self._scope, None, text, loc, "statement", exit_of=tuple(frame.chain)))

    def _entered_context(self, value: ast.Call, dotted: str | None) -> bool:
        """`stack.enter_context(torch.no_grad())` enters the mode as a `with` would, until the
        stack closes: the end of its `with ExitStack()` block (see ModeResolver.effect)."""
        if dotted is None or not dotted.endswith(".enter_context") or len(value.args) + len(value.keywords) != 1:
            return False
        if value.keywords or type(value.args[0]) is ast.Starred:
            return False
        arg = value.args[0]
        if type(_unwrap(arg)) is not ast.Call:
            return False
        entered = self._context(arg, "with", self._call_locs[id(_unwrap(arg))], self._scope)
        if entered is None:
            return False
        self._frame.chain.append(entered.with_text(f"`{dotted}({entered.text[6:-1]})`"))
        return True

    # -- calls ----------------------------------------------------------------------------------
    def _call(self, node: ast.Call, loc: Loc) -> None:
        self._call_locs[id(node)] = loc
        func = node.func
        dotted = _dotted(func)
        if dotted in CONSUMERS:
            consumed = self._consumed
            for arg in node.args:
                consumed.add(id(arg.value if type(arg) is ast.Starred else arg))
            for keyword in node.keywords:
                consumed.add(id(keyword.value))
        value: Pending | None = None
        method = ""
        if dotted is None:
            kind = type(func)
            if kind is ast.Attribute:
                inner = self._value_of(func.value)
                if isinstance(inner, Pending) and inner.how != "alias":
                    value, method = inner, func.attr
            elif kind is ast.Call or kind is ast.Subscript:
                inner = self._value_of(func)
                if isinstance(inner, Pending) and inner.how in ("partial", "item", "alias"):
                    value = inner
            if value is None:
                return
            text = f"{value.dotted}(...)" + (f".{method}" if method else "")
            if value.how == "partial" and not method:
                text = f"partial({value.dotted}, ...)"
            elif value.how == "item":
                text = f"{value.dotted}[...]"
            elif value.how == "alias":
                text = _getattr_text(value.dotted)
        else:
            text = dotted
        frame = self._running_frame()
        # tuple.__new__, every field given: one of these per call of the file, without the
        # named tuple's generated __new__ (a Python frame each).
        self._calls.append(
            tuple.__new__(
                _PendingCall,
                (dotted, value, method, frame.scope, frame.entry, tuple(frame.chain), loc, text, id(node) in self._consumed, node),
            )
        )

    # -- resolution -----------------------------------------------------------------------------
    def leave_Module(self, node: ast.Module) -> None:
        facts = self.facts
        resolver = self._resolver
        module_scope = self._frames[0].scope
        frames = {frame.scope: (qualname, frame) for qualname, frame in self._functions}
        self._framework_hooks()
        self._wrapping_decorators(frames)
        for qualname, frame in self._functions:
            facts.functions[qualname] = FunctionFact(qualname, self._modes.mode(frame.entry), frame.deferred)
        for qualname, scope, bases in self._classes:
            symbols = tuple(s for b in bases if (s := resolver.resolve(scope, b)[0]) is not None)
            facts.classes[qualname] = ClassFact(qualname, symbols)
        for pending in self._calls:
            callees = self._callees(pending)
            if not callees:
                self._param_call(pending, frames)
                continue
            args = tuple(
                (key, symbol) for key, dotted in _name_args(pending.node)
                if (symbol := resolver.resolve(pending.scope, dotted)[0]) is not None and not symbol.wrapping
            )
            callees = [c for c in callees if not self._inert_api_call(c[0], args)]
            if not callees:
                continue
            mode = self._modes.mode(pending.contexts)
            for symbol, leftover, written in callees:
                facts.calls.append(
                    CallFact(
                        callee=symbol,
                        method=leftover,
                        loc=pending.loc,
                        scope=pending.scope.function_scope().qualname,
                        mode=mode,
                        text=pending.text,
                        consumed=pending.consumed,
                        value=written,
                        args=args,
                    )
                )
        for name in module_scope.bindings:
            symbol, leftover = resolver.resolve(module_scope, name)
            if symbol is not None:
                facts.exports[name] = symbol.attr(leftover) if leftover else symbol
        for scope in self._scopes:
            scope.forget()

    def _inert_api_call(self, symbol: Symbol, args: tuple[tuple[str, Symbol], ...]) -> bool:
        """A call into torch or Torch-Pruning that constructs no pruner or dependency graph,
        and passes no pruner class: a fact of it would never be read. The project resolves such
        a callee to nothing (`Project._resolve_plain`: no file lookup for these packages), and
        only a pruner class among the arguments makes the callee's module matter
        (`engine.run._modules_facts_point_into`). Two calls in five of a pruning script are
        `torch.*` calls."""
        if symbol.kind != "external" or symbol.name.split(".", 1)[0] not in API_PACKAGES:
            return False
        api = self.api
        if api.pruner_class(symbol.name) is not None or api.is_graph_class(symbol.name):
            return False
        return not any(s.kind == "external" and api.pruner_class(s.name) for _, s in args)

    @staticmethod
    def _own_parameter(scope: Scope | None, pending: _PendingCall, frames: dict) -> tuple[str, _Frame] | None:
        """(qualified name, frame) of the function of `scope` when the pending call calls one
        of its parameters, not rebound in its body (else it is not only what a caller passed)."""
        name = pending.dotted
        if pending.value is not None or not name or "." in name or scope is None or scope.kind != "function":
            return None
        found = frames.get(scope)
        if found is None or name not in found[1].params or scope.bindings.get(name) != [None]:
            return None
        return found

    def _param_call(self, pending: _PendingCall, frames: dict) -> None:
        """A call of the enclosing function's own parameter, for the call sites to decide."""
        found = self._own_parameter(pending.scope.function_scope(), pending, frames)
        if found is None:
            return
        qualname, frame = found
        index = frame.params.index(pending.dotted)
        mode = self._modes.mode(pending.contexts)
        self.facts.param_calls.append(ParamCallFact(qualname, pending.dotted, index, pending.loc, mode, pending.text))

    def _wrapping_decorators(self, frames: dict) -> None:
        """`def eval_mode(fn): def wrapper(*a): with torch.no_grad(): return fn(*a) ...`: a
        decorator of this module whose inner function calls its parameter with autograd off
        switches autograd off for the function it decorates, as `@torch.no_grad()` does."""
        for pending in self._calls:
            inner = pending.scope.function_scope()
            if inner.kind != "function" or pending.dotted in inner.bindings:
                continue  # the wrapper's own name, not the decorator's parameter
            outer = inner.parent
            found = self._own_parameter(outer, pending, frames)
            if found is None or outer.parent is None or outer.parent.kind not in ("module", "class"):
                continue
            mode = self._modes.mode(pending.contexts)
            if not mode.disabled or mode.cause is None:
                continue
            qualname = found[0]
            effect = "inference_mode" if mode.in_inference else "no_grad"
            origin = f"a decorator that runs the function it wraps under {mode.cause.text}"
            self._modes.local_wrappers.setdefault(qualname, GradApi(qualname, effect, origin=origin))

    def _framework_hooks(self) -> None:
        """The methods a framework calls with autograd off (`[framework_hooks]` in the data):
        of a class whose base is a listed framework class, directly or through a class of
        this module. The framework's mode is outermost: the method's own decorators win."""
        hooks = self.api.table("framework_hooks")
        if not hooks:
            return
        hooked: dict[str, tuple[str, dict]] = {}  # class qualname -> (framework, its entry)
        for qualname, scope, bases in self._classes:
            for base in bases:
                symbol = self._resolver.resolve(scope, base)[0]
                if symbol is None:
                    continue
                if symbol.kind == "local" and symbol.name in hooked:
                    hooked[qualname] = hooked[symbol.name]
                    break
                if symbol.kind == "external":
                    found = next(((n, h) for n, h in hooks.items() if symbol.name in h.get("bases", ())), None)
                    if found is not None:
                        hooked[qualname] = found
                        break
        if not hooked:
            return
        for qualname, frame in self._functions:
            owner = frame.scope.parent
            if owner is None or owner.kind != "class" or owner.qualname not in hooked or frame.scope.kind != "function":
                continue
            method = qualname.rsplit(".", 1)[-1]
            _name, hook = hooked[owner.qualname]
            if method not in hook.get("methods", ()) or frame.deferred:
                continue  # a coroutine's body does not run where it is called
            # "Lightning in `m` (Lightning runs `C.m` ...)": the part in parentheses is the note.
            text = f"{hook['label']} in `{method}` ({hook['label']} runs `{owner.qualname}.{method}` {hook['how']})"
            mode = effect_of(hook.get("effect", "no_grad"), True, Origin(text, self.path, None))
            # No node of the file switches it: the ordinal is never read (the origin has none).
            frame.entry.insert(0, RawContext(method, frame.scope, None, text, -1, "decorator", preset=mode))

    def _callees(self, pending: _PendingCall) -> list[tuple[Symbol, str, str]]:
        """What the call may call: one symbol, or where the name's bindings disagree, each of
        the values it may hold (with the value as written, for the message)."""
        symbol, leftover = self._callee(pending)
        if symbol is not None:
            return [(symbol, leftover, "")]
        value = pending.value
        if value is None and pending.dotted is not None:
            options = self._resolver.union(pending.scope, pending.dotted)
        elif value is not None and value.how == "item" and not pending.method:
            options = self._resolver.items_union(value)
        else:
            return []
        return [(s, rest, written) for s, rest, written in options if "." not in rest and s.wrapping != "super"]

    def _callee(self, pending: _PendingCall) -> tuple[Symbol | None, str]:
        resolver = self._resolver
        if pending.value is None:
            assert pending.dotted is not None
            symbol, leftover = resolver.resolve(pending.scope, pending.dotted)
        elif pending.value.how in ("item", "alias"):
            symbol, leftover = resolver.resolve_value(pending.value)
            if symbol is not None and pending.method:
                symbol, leftover = Resolver.member(symbol, pending.method)
        else:
            base, extra = resolver.resolve(pending.scope, pending.value.dotted)
            if base is None or extra or base.wrapping:
                return None, ""
            if pending.value.how == "partial":
                func, _ = resolver.resolve(pending.scope, pending.value.partial_func)
                if func is None or func.name != "functools.partial":
                    return None, ""
            symbol, leftover = base.wrapped(pending.value.how), pending.method
        if symbol is None or "." in leftover:
            return None, ""
        return symbol, leftover


def _is_elif(node: ast.If) -> bool:
    """`elif`, not `else:` then an `if`: the one `If` of the `else` starts where this `if`
    does, at the indentation of the statement (an `if` inside `else:` is indented further)."""
    orelse = node.orelse
    return len(orelse) == 1 and type(orelse[0]) is ast.If and orelse[0].col_offset == node.col_offset


def _getattr_text(dotted: str) -> str:
    if dotted.endswith(f".{GETATTR_PRUNER}"):
        return f"getattr({dotted[: -len(GETATTR_PRUNER) - 1]}, ...)"
    module, _, attr = dotted.rpartition(".")
    return f"getattr({module}, {attr!r})"


def _name_args(call: ast.Call) -> tuple[tuple[str, str], ...]:
    """The arguments that are plain or dotted names, by position or keyword (positions stop at
    the first `*args`: after it they are unknown)."""
    found = []
    position, counting = 0, True
    for keyword, star, value in written_arguments(call):
        if star:
            if star == "*":
                counting = False
            continue
        dotted = _dotted(value)
        if keyword is not None:
            if dotted:
                found.append((keyword, dotted))
            continue
        if counting and dotted:
            found.append((str(position), dotted))
        position += 1
    return tuple(found)


def _literal_elements(node: ast.expr) -> list[ast.expr] | None:
    """The values of a list, tuple or set literal, or of a dict literal; None for anything
    else, or where a starred element hides some of them."""
    kind = type(node)
    if kind is ast.List or kind is ast.Tuple or kind is ast.Set:
        if any(type(e) is ast.Starred for e in node.elts):
            return None
        return list(node.elts)
    if kind is ast.Dict:
        if any(k is None for k in node.keys):
            return None
        return list(node.values)
    return None


def _decorated(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    return any(_dotted(d) == name for d in node.decorator_list)


def _params(params: ast.arguments) -> list[str]:
    names = [p.arg for p in (*params.posonlyargs, *params.args, *params.kwonlyargs)]
    for star in (params.vararg, params.kwarg):
        if star is not None:
            names.append(star.arg)
    return names


def _args_text(call: ast.Call) -> str:
    """`(False)`, `(mode=False)`, `(*...)`: a call's arguments for a message, names as written."""
    parts = []
    for keyword, star, value in written_arguments(call):
        text = _dotted(value) or "..."
        parts.append(f"{keyword}={text}" if keyword is not None else f"{star}{text}")
    return "(" + ", ".join(parts) + ")"
