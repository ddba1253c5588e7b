"""One libcst pass over a file that records its names, calls and autograd contexts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from typing import Literal

import libcst as cst

from prunelint.analysis.contexts import Form, ModeResolver, RawContext
from prunelint.analysis.gradmode import Origin, effect_of
from prunelint.analysis.facts import CallFact, ClassFact, FunctionFact, Loc, ModuleFacts, ParamCallFact, Symbol
from prunelint.analysis.scopes import Pending, Resolver, Scope, Value
from prunelint.settings.apidata import GETATTR_PRUNER, ApiData, GradApi

# Builtins that iterate their argument on the spot, so a generator passed to them runs there.
CONSUMERS = frozenset({"list", "tuple", "set", "frozenset", "dict", "sorted", "next", "sum", "any", "all", "min", "max"})
Skip = Literal["skip"]


def dotted_name(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a chain of names and attributes (`super().m` too), else None."""
    # Parsed trees hold libcst's own classes, never subclasses: `type(x) is` skips the cost of
    # ABCMeta's isinstance on the hottest function of the analysis.
    parts: list[str] = []
    while type(node) is cst.Attribute:
        parts.append(node.attr.value)
        node = node.value
    if type(node) is cst.Call and parts and type(node.func) is cst.Name and node.func.value == "super":
        parts.append("super()")
        return ".".join(reversed(parts))
    if type(node) is not cst.Name:
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def is_api_name(api: ApiData, qualname: str) -> bool:
    return qualname in api.grad_apis or api.pruner_class(qualname) is not None or api.is_graph_class(qualname)


def _unwrap(expr: cst.BaseExpression) -> cst.BaseExpression:
    """`(ctx := torch.no_grad())` is `torch.no_grad()` for what it switches."""
    while isinstance(expr, cst.NamedExpr):
        expr = expr.value
    return expr


@dataclass
class _PendingCall:
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
    args: tuple[tuple[str, str], ...] = ()  # (position or keyword, dotted name) of name arguments

    @property
    def contexts(self) -> tuple[RawContext, ...]:
        return tuple(self.entry) + self.chain


@dataclass
class _Frame:
    scope: Scope
    entry: list[RawContext] = field(default_factory=list)  # decorators, filled before the body
    chain: list[RawContext] = field(default_factory=list)
    suites: list[int] = field(default_factory=list)
    # Decorators and default values run in the enclosing scope, before the body starts.
    in_header: bool = True
    deferred: bool = False  # a generator or coroutine
    # `async def`: a decorator that switches a grad mode around the call only makes the
    # coroutine object there, so it does not cover the body (torch's context decorators wrap
    # generator functions specially, coroutines not: torch/utils/_contextlib.py).
    coroutine: bool = False
    class_entry: list[RawContext] = field(default_factory=list)  # a class's decorators
    params: list[str] = field(default_factory=list)  # a function's parameters, in order


class LocatedNodes(cst.BatchableCSTVisitor):
    """Counts the nodes that facts refer to by ordinal; shared with `prunelint.analysis.locations`."""

    def __init__(self) -> None:
        super().__init__()
        self.count = -1

    def _next(self, node: cst.CSTNode) -> Loc:
        self.count += 1
        return self.count

    def visit_Call(self, node: cst.Call) -> None:
        self._call(node, self._next(node))

    def visit_Decorator(self, node: cst.Decorator) -> None:
        self._decorator(node, self._next(node))

    def visit_WithItem(self, node: cst.WithItem) -> None:
        self._with_item(node, self._next(node))

    def _call(self, node: cst.Call, loc: Loc) -> None:
        pass

    def _decorator(self, node: cst.Decorator, loc: Loc) -> None:
        pass

    def _with_item(self, node: cst.WithItem, loc: Loc) -> None:
        pass


class FactCollector(LocatedNodes):
    def __init__(self, path: str, api: ApiData) -> None:
        super().__init__()
        self.path = path
        self.api = api
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
        self._with_bodies: set[int] = set()
        self._consumed: set[int] = set()
        self._lambda_names: dict[int, str] = {}
        self._call_locs: dict[int, Loc] = {}
        self._in_import = 0
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

    def _lambda_name(self, node: cst.Lambda) -> str:
        if id(node) not in self._lambda_names:
            scope = self._scope.function_scope()
            scope.lambdas += 1
            self._lambda_names[id(node)] = f"<lambda#{scope.lambdas}>"
        return self._lambda_names[id(node)]

    def _value_of(self, expr: cst.BaseExpression) -> Value | Skip:
        expr = _unwrap(expr)
        dotted = dotted_name(expr)
        if dotted == "None":
            # `tp = None` after a failed import: where `tp.x(...)` runs, tp is the module.
            return "skip"
        if dotted is not None:
            return Pending("alias", dotted, self._scope)
        if isinstance(expr, cst.Lambda):
            return Symbol("local", self._scope.child_qualname(self._lambda_name(expr)))
        if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name):
            return Pending("item", expr.value.value, self._scope)  # `REGISTRY[name]`
        if isinstance(expr, cst.Call):
            func = dotted_name(expr.func)
            if func is None:
                return None
            if func == "getattr" and len(expr.args) >= 2 and not any(a.star or a.keyword for a in expr.args[:2]):
                module = dotted_name(expr.args[0].value)
                attr = expr.args[1].value
                if module is not None and isinstance(attr, cst.SimpleString) and attr.evaluated_value.isidentifier():
                    return Pending("alias", f"{module}.{attr.evaluated_value}", self._scope)
                if module is not None:
                    # `getattr(tp.pruner, name)`: some pruner class, if the module is the
                    # pruners' (decided once names are resolved).
                    return Pending("alias", f"{module}.{GETATTR_PRUNER}", self._scope)
                return None
            if func.endswith(".get") and func.count(".") == 1 and expr.args:
                return Pending("item", func.split(".", 1)[0], self._scope)  # `REGISTRY.get(name)`
            if func.rsplit(".", 1)[-1] == "partial" and expr.args:
                target = dotted_name(expr.args[0].value)
                if target is None or expr.args[0].star:
                    return None
                return Pending("partial", target, self._scope, partial_func=func)
            return Pending("instance", func, self._scope, call=expr)
        return None

    def _bind_target(self, target: cst.BaseExpression, value: Value | Skip) -> None:
        if value == "skip":
            return
        if isinstance(target, cst.Name):
            self._scope.bind(target.value, value)
        elif isinstance(target, cst.Attribute):
            dotted = dotted_name(target)
            cls = self._scope.enclosing_class()
            if dotted and cls is not None and dotted.count(".") == 1 and dotted.startswith("self."):
                cls.self_attrs.setdefault(target.attr.value, []).append(value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_target(element.value, None)
        elif isinstance(target, cst.StarredElement):
            self._bind_target(target.value, None)

    def _context(self, expr: cst.BaseExpression, form: Form, loc: Loc, scope: Scope) -> RawContext | None:
        # Every with-item and decorator is kept (they are few): whether it is a grad mode, under
        # whatever alias, is decided once names are resolved.
        prefix = "@" if form == "decorator" else "with "
        expr = _unwrap(expr)
        call = expr if isinstance(expr, cst.Call) else None
        dotted = dotted_name(call.func if call is not None else expr)
        if dotted is None:
            return None
        if call is None and form == "with":
            # `im = torch.inference_mode()` then `with im:` switches as the call would.
            found, value = self._resolver.lookup(scope, dotted)
            if found and isinstance(value, Pending) and isinstance(value.call, cst.Call):
                return RawContext(value.dotted, value.scope, value.call, f"`with {dotted}`", loc, form)
        args = "" if call is None else "(" + ", ".join(_arg_text(a) for a in call.args) + ")"
        return RawContext(dotted, scope, call, f"`{prefix}{dotted}{args}`", loc, form)

    # -- scopes ---------------------------------------------------------------------------------
    def _push_scope(self, kind, name: str) -> Scope:
        parent = self._scope
        scope = Scope(kind, parent.child_qualname(name), parent)
        self._scopes.append(scope)
        self._frames.append(_Frame(scope))
        return scope

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        parent = self._frame
        qualname = self._scope.child_qualname(name)
        self._scope.bind(name, Symbol("local", qualname))
        scope = self._push_scope("function", name)
        frame = self._frame
        frame.deferred = frame.coroutine = node.asynchronous is not None
        if name == "__init__" and parent.scope.kind == "class":
            # torch's grad-mode decorators on a class wrap its instantiation.
            frame.entry.extend(parent.class_entry)
        self._functions.append((qualname, frame))
        params = _params(node.params)
        frame.params = params
        for param in params:
            scope.bind(param, None)
        if params and parent.scope.kind == "class" and _decorated(node, "classmethod"):
            scope.bindings[params[0]] = [Symbol("local", parent.scope.qualname)]

    def _decorator(self, node: cst.Decorator, loc: Loc) -> None:
        frame = self._frame
        if not frame.in_header or frame.scope.parent is None:
            return
        ctx = self._context(node.decorator, "decorator", loc, frame.scope.parent)
        if ctx is None:
            return
        if frame.scope.kind == "function":
            if not frame.coroutine:
                frame.entry.append(ctx)
        elif frame.scope.kind == "class":
            frame.class_entry.append(ctx)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._frames.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        name = node.name.value
        qualname = self._scope.child_qualname(name)
        self._scope.bind(name, Symbol("local", qualname))
        bases = [d for a in node.bases if a.keyword is None and (d := dotted_name(a.value))]
        self._classes.append((qualname, self._scope, bases))
        self._push_scope("class", name)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._frames.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        scope = self._push_scope("lambda", self._lambda_name(node))
        for param in _params(node.params):
            scope.bind(param, None)
        self._frame.in_header = False
        self._functions.append((scope.qualname, self._frame))
        self._frame.suites.append(0)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._frames.pop()

    def _enter_comprehension(self, node: cst.BaseComp) -> None:
        frame = self._frame
        frame.scope = Scope("comprehension", frame.scope.qualname, frame.scope)
        self._scopes.append(frame.scope)

    def _leave_comprehension(self, original_node: cst.BaseComp) -> None:
        frame = self._frame
        assert frame.scope.parent is not None
        frame.scope = frame.scope.parent

    # Every comprehension has a scope of its own for its loop variables.
    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _enter_comprehension
    leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave_comprehension

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind_target(node.target, None)
        self._consumed.add(id(node.iter))

    # -- bindings -------------------------------------------------------------------------------
    def visit_Global(self, node: cst.Global) -> None:
        self._scope.global_names.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self._scope.nonlocal_names.update(item.name.value for item in node.names)

    def visit_Import(self, node: cst.Import) -> None:
        self._in_import += 1
        for alias in node.names:
            full = dotted_name(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._scope.bind(alias.asname.name.value, Symbol("external", full))
            else:
                head = full.split(".", 1)[0]
                self._scope.bind(head, Symbol("external", head))

    def leave_Import(self, original_node: cst.Import) -> None:
        self._in_import -= 1

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._in_import += 1
        level = len(node.relative)
        module = dotted_name(node.module) or "" if node.module is not None else ""
        if isinstance(node.names, cst.ImportStar):
            if self._scope.kind == "module":
                self._scope.star_imports.append("." * level + module)
                kind = "relative" if level else "external"
                self.facts.star_imports.append(Symbol(kind, module, level=level))
            return
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            bound = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                bound = alias.asname.name.value
            full = f"{module}.{name}" if module else name
            self._scope.bind(bound, Symbol("relative" if level else "external", full, level=level))

    def leave_ImportFrom(self, original_node: cst.ImportFrom) -> None:
        self._in_import -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        value = self._value_of(node.value)
        for target in node.targets:
            self._bind_target(target.target, value)
            if isinstance(target.target, cst.Name):
                self._bind_items(target.target.value, node.value)

    def _bind_items(self, name: str, container: cst.BaseExpression) -> None:
        """`PRUNERS = {"l1": tp.pruner.MagnitudePruner, ...}`: what its elements may be."""
        elements = _literal_elements(container)
        if elements is None:
            return
        scope = self._scope.module() if name in self._scope.global_names else self._scope
        values = [self._value_of(e) for e in elements]
        scope.items.setdefault(name, []).extend(v for v in values if v != "skip")

    def leave_Assign(self, original_node: cst.Assign) -> None:
        # `prev = torch.set_grad_enabled(False)` switches as well.
        self._statement_switch(original_node.value)
        self._decorated_by_call(original_node)

    def _decorated_by_call(self, node: cst.Assign) -> None:
        """`f = torch.no_grad()(f)`: a decorator applied by a call, to a function defined in
        this scope and rebound to its own name. The switch covers the body as `@` would."""
        value = node.value
        if not (
            len(node.targets) == 1
            and isinstance(node.targets[0].target, cst.Name)
            and isinstance(value, cst.Call)
            and isinstance(value.func, cst.Call)
            and len(value.args) == 1
            and value.args[0].keyword is None
            and not value.args[0].star
            and isinstance(value.args[0].value, cst.Name)
            and value.args[0].value.value == node.targets[0].target.value
        ):
            return
        name = node.targets[0].target.value
        qualname = self._scope.child_qualname(name)
        frame = self._latest_frame(qualname)
        if frame is None or frame.scope.parent is not self._scope or frame.scope.kind != "function":
            return
        decorator = value.func
        ctx = self._context(decorator, "decorator", self._call_locs[id(decorator)], self._scope)
        if ctx is not None:
            frame.entry.append(replace(ctx, text=f"`{ctx.text[2:-1]}({name})`"))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind_target(node.target, self._value_of(node.value))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind_target(node.target, None)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind_target(node.target, self._value_of(node.value))

    def visit_For(self, node: cst.For) -> None:
        elements = _literal_elements(node.iter) if isinstance(node.target, cst.Name) else None
        if elements:
            # `for Pruner in [tp.pruner.A, tp.pruner.B]:` holds each in turn: their union.
            for element in elements:
                self._bind_target(node.target, self._value_of(element))
        else:
            self._bind_target(node.target, None)
        self._consumed.add(id(node.iter))

    def visit_AsName(self, node: cst.AsName) -> None:
        # `with ... as x` and `except ... as x`; an import's alias is bound by the import itself.
        if not self._in_import and isinstance(node.name, (cst.Name, cst.Tuple, cst.List)):
            self._bind_target(node.name, None)

    # -- generators and coroutines --------------------------------------------------------------
    def visit_Yield(self, node: cst.Yield) -> None:
        self._frame.deferred = True
        if isinstance(node.value, cst.From):
            self._consumed.add(id(node.value.item))

    def visit_Await(self, node: cst.Await) -> None:
        self._consumed.add(id(node.expression))

    # -- grad-mode contexts ---------------------------------------------------------------------
    def visit_With(self, node: cst.With) -> None:
        self._with_marks.append((len(self._frame.chain), 0))
        self._with_bodies.add(id(node.body))

    def _with_item(self, node: cst.WithItem, loc: Loc) -> None:
        self._with_locs.append(loc)

    def leave_WithItem(self, original_node: cst.WithItem) -> None:
        ctx = self._context(original_node.item, "with", self._with_locs.pop(), self._scope)
        if ctx is not None:
            self._frame.chain.append(ctx)
            start, count = self._with_marks[-1]
            self._with_marks[-1] = (start, count + 1)

    def leave_With(self, original_node: cst.With) -> None:
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

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._enter_suite()

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self._leave_suite(original_node)

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._enter_suite()

    def leave_SimpleStatementSuite(self, original_node: cst.SimpleStatementSuite) -> None:
        self._leave_suite(original_node)

    def _enter_suite(self) -> None:
        frame = self._frame
        if frame.in_header:
            frame.in_header = False  # the body of a def or class begins
        frame.suites.append(len(frame.chain))

    def _leave_suite(self, node: cst.BaseSuite) -> None:
        frame = self._frame
        start = frame.suites.pop()
        if id(node) in self._with_bodies or not frame.suites:
            return  # a `with` body (judged by leave_With), or the end of the scope
        inside = frame.chain[start:]
        del frame.chain[start:]
        if inside:
            frame.chain.append(RawContext.block(inside, certain=False))

    def leave_Expr(self, original_node: cst.Expr) -> None:
        self._statement_switch(original_node.value)

    def _statement_switch(self, value: cst.BaseExpression) -> None:
        if not isinstance(value, cst.Call):
            return
        loc = self._call_locs[id(value)]
        dotted = dotted_name(value.func)
        if self._entered_context(value, dotted):
            return
        if dotted is not None and self._may_switch_on_call(dotted):
            args = "(" + ", ".join(_arg_text(a) for a in value.args) + ")"
            self._frame.chain.append(
                RawContext(dotted, self._scope, value, f"`{dotted}{args}`", loc, "statement")
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

    def _entered_context(self, value: cst.Call, dotted: str | None) -> bool:
        """`stack.enter_context(torch.no_grad())` enters the mode as a `with` would, until the
        stack closes: the end of its `with ExitStack()` block (see ModeResolver.effect)."""
        if dotted is None or not dotted.endswith(".enter_context") or len(value.args) != 1:
            return False
        arg = value.args[0]
        if arg.keyword is not None or arg.star or not isinstance(_unwrap(arg.value), cst.Call):
            return False
        entered = self._context(arg.value, "with", self._call_locs[id(_unwrap(arg.value))], self._scope)
        if entered is None:
            return False
        self._frame.chain.append(replace(entered, text=f"`{dotted}({entered.text[6:-1]})`"))
        return True

    # -- calls ----------------------------------------------------------------------------------
    def _call(self, node: cst.Call, loc: Loc) -> None:
        self._call_locs[id(node)] = loc
        func = node.func
        dotted = dotted_name(func)
        if dotted in CONSUMERS:
            self._consumed.update(id(arg.value) for arg in node.args)
        value: Pending | None = None
        method = ""
        if dotted is None:
            if isinstance(func, cst.Attribute):
                inner = self._value_of(func.value)
                if isinstance(inner, Pending) and inner.how != "alias":
                    value, method = inner, func.attr.value
            elif isinstance(func, (cst.Call, cst.Subscript)):
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
        self._calls.append(
            _PendingCall(
                dotted,
                value,
                method,
                frame.scope,
                frame.entry,
                tuple(frame.chain),
                loc,
                text,
                id(node) in self._consumed,
                _name_args(node),
            )
        )

    # -- resolution -----------------------------------------------------------------------------
    def leave_Module(self, original_node: cst.Module) -> None:
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
            mode = self._modes.mode(pending.contexts)
            args = tuple(
                (key, symbol) for key, dotted in pending.args
                if (symbol := resolver.resolve(pending.scope, dotted)[0]) is not None and not symbol.wrapping
            )
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


def _getattr_text(dotted: str) -> str:
    if dotted.endswith(f".{GETATTR_PRUNER}"):
        return f"getattr({dotted[: -len(GETATTR_PRUNER) - 1]}, ...)"
    module, _, attr = dotted.rpartition(".")
    return f"getattr({module}, {attr!r})"


def _name_args(call: cst.Call) -> tuple[tuple[str, str], ...]:
    """The arguments that are plain or dotted names, by position or keyword (positions stop at
    the first `*args`: after it they are unknown)."""
    found = []
    position, counting = 0, True
    for arg in call.args:
        if arg.star:
            if arg.star == "*":
                counting = False
            continue
        dotted = dotted_name(arg.value)
        if arg.keyword is not None:
            if dotted:
                found.append((arg.keyword.value, dotted))
            continue
        if counting and dotted:
            found.append((str(position), dotted))
        position += 1
    return tuple(found)


def _literal_elements(node: cst.BaseExpression) -> list[cst.BaseExpression] | None:
    """The values of a list, tuple or set literal, or of a dict literal; None for anything
    else, or where a starred element hides some of them."""
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        if any(isinstance(e, cst.StarredElement) for e in node.elements):
            return None
        return [e.value for e in node.elements]
    if isinstance(node, cst.Dict):
        if any(isinstance(e, cst.StarredDictElement) for e in node.elements):
            return None
        return [e.value for e in node.elements if isinstance(e, cst.DictElement)]
    return None


def _decorated(node: cst.FunctionDef, name: str) -> bool:
    return any(dotted_name(d.decorator) == name for d in node.decorators)


def _params(params: cst.Parameters) -> list[str]:
    names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.append(star.name.value)
    return names


def _arg_text(arg: cst.Arg) -> str:
    value = dotted_name(arg.value) or "..."
    if arg.keyword is not None:
        return f"{arg.keyword.value}={value}"
    return f"{arg.star}{value}"
