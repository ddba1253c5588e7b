"""One libcst pass over a file that records its names, calls and autograd contexts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

import libcst as cst

from prunelint.analysis.facts import CallFact, ClassFact, FunctionFact, Loc, ModuleFacts, Symbol
from prunelint.analysis.gradmode import INHERIT, NEUTRAL, UNKNOWN, Mode, Origin, Switch, effect_of
from prunelint.analysis.scopes import Pending, Resolver, Scope, Value
from prunelint.apidata import ApiData, GradApi


def dotted_name(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a chain of names and attributes, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def import_name(node: cst.BaseExpression) -> str:
    return dotted_name(node) or ""


def literal_bool(node: cst.BaseExpression) -> Switch:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return UNKNOWN


def mode_argument(call: cst.Call | None, default: Switch) -> Switch:
    """The literal `mode` of set_grad_enabled/inference_mode: first positional or `mode=`."""
    if call is None:
        return default
    for arg in call.args:
        if arg.keyword is None and arg.star == "":
            return literal_bool(arg.value)
        if arg.keyword is not None and arg.keyword.value == "mode":
            return literal_bool(arg.value)
        if arg.star:
            return UNKNOWN
    return default


@dataclass(frozen=True, eq=False)
class RawContext:
    """A possible grad-mode switch, to be judged once names are resolved."""

    dotted: str
    scope: Scope
    call: cst.Call | None
    text: str
    loc: Loc
    form: Literal["with", "decorator", "statement"] = "with"
    # A block that contained statement-level switches: after it the mode is uncertain.
    uncertain_after: tuple["RawContext", ...] = ()
    # For what a `with` block leaves behind: its items, whose exit may restore the mode.
    restored_by: tuple["RawContext", ...] = ()


@dataclass
class _PendingCall:
    dotted: str | None
    value: Pending | None
    method: str
    scope: Scope
    contexts: tuple[RawContext, ...]
    loc: Loc
    text: str


@dataclass
class _Frame:
    scope: Scope
    entry: list[RawContext] = field(default_factory=list)  # decorators, filled before the body
    chain: list[RawContext] = field(default_factory=list)
    suites: list[int] = field(default_factory=list)
    body_started: bool = False


class LocatedNodes(cst.BatchableCSTVisitor):
    """Counts the nodes that facts refer to by ordinal; shared with `prunelint.locations`."""

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
        self._mode_names = {q.rsplit(".", 1)[-1] for q in api.grad_apis} | set(api.wrappers)
        self._on_call_names = {q.rsplit(".", 1)[-1] for q, g in api.grad_apis.items() if g.on_call}
        self._resolver = Resolver(self._is_api_name)
        module = Scope("module", "", None)
        self._frames: list[_Frame] = [_Frame(module)]
        self._frames[0].suites.append(0)
        self._calls: list[_PendingCall] = []
        self._functions: list[tuple[str, list[RawContext]]] = []
        self._classes: list[tuple[str, Scope, list[str]]] = []
        self._with_marks: list[tuple[int, int]] = []
        self._with_locs: list[Loc] = []
        self._statement_call: Loc | None = None
        self._in_import = 0
        self.facts = ModuleFacts(path)

    # -- helpers --------------------------------------------------------------------------------
    @property
    def _frame(self) -> _Frame:
        return self._frames[-1]

    @property
    def _scope(self) -> Scope:
        return self._frame.scope

    def _may_switch_on_call(self, dotted: str) -> bool:
        """Cheap test for statements like `torch.set_grad_enabled(False)`, aliases included."""
        if dotted.rsplit(".", 1)[-1] in self._on_call_names:
            return True
        found, value = self._resolver.lookup(self._scope, dotted.split(".", 1)[0])
        return found and isinstance(value, Symbol) and value.name.startswith("torch")

    def _is_api_name(self, qualname: str) -> bool:
        api = self.api
        return (
            qualname in api.grad_apis
            or qualname in api.pruner_classes
            or qualname in api.dependency_graph_classes
        )

    def _value_of(self, expr: cst.BaseExpression) -> Value | Literal["skip"]:
        dotted = dotted_name(expr)
        if dotted == "None":
            # `tp = None` after a failed import: where `tp.x(...)` runs, tp is the module.
            return "skip"
        if dotted is not None:
            return Pending("alias", dotted, self._scope)
        if isinstance(expr, cst.Call):
            func = dotted_name(expr.func)
            if func is None:
                return None
            if func.rsplit(".", 1)[-1] == "partial" and expr.args:
                target = dotted_name(expr.args[0].value)
                if target is None or expr.args[0].star:
                    return None
                return Pending("partial", target, self._scope, partial_func=func)
            return Pending("instance", func, self._scope)
        return None

    def _bind_target(self, target: cst.BaseExpression, value: Value | Literal["skip"]) -> None:
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

    def _context(
        self, expr: cst.BaseExpression, form: Literal["with", "decorator"], loc: Loc, scope: Scope
    ) -> RawContext | None:
        prefix = "@" if form == "decorator" else "with "
        # Every with-item and decorator is kept (they are few): whether it is a grad mode, under
        # whatever alias, is decided once names are resolved.
        call = expr if isinstance(expr, cst.Call) else None
        dotted = dotted_name(call.func if call is not None else expr)
        if dotted is None:
            return None
        if call is None:
            return RawContext(dotted, scope, None, f"`{prefix}{dotted}`", loc, form)
        args = ""
        if call is not None:
            args = "(" + ", ".join(_arg_text(a) for a in call.args) + ")"
        return RawContext(dotted, scope, call, f"`{prefix}{dotted}{args}`", loc, form)

    # -- scopes ---------------------------------------------------------------------------------
    def _push_scope(self, kind, name: str) -> Scope:
        parent = self._scope
        scope = Scope(kind, parent.child_qualname(name), parent)
        self._frames.append(_Frame(scope))
        return scope

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        qualname = self._scope.child_qualname(name)
        self._scope.bind(name, Symbol("local", qualname))
        scope = self._push_scope("function", name)
        self._functions.append((qualname, self._frame.entry))
        for param in _params(node.params):
            scope.bind(param, None)

    def _decorator(self, node: cst.Decorator, loc: Loc) -> None:
        frame = self._frame
        if frame.scope.kind != "function" or frame.body_started or frame.scope.parent is None:
            return
        # Decorators run in the enclosing scope, before the body.
        ctx = self._context(node.decorator, "decorator", loc, frame.scope.parent)
        if ctx is not None:
            frame.entry.append(ctx)

    def visit_Parameters(self, node: cst.Parameters) -> None:
        self._frame.body_started = True

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._frames.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        name = node.name.value
        qualname = self._scope.child_qualname(name)
        self._scope.bind(name, Symbol("local", qualname))
        bases = [d for a in node.bases if a.keyword is None and (d := dotted_name(a.value))]
        self._classes.append((qualname, self._scope, bases))
        self._push_scope("class", name)
        self._frame.body_started = True

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._frames.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        scope = self._push_scope("lambda", "<lambda>")
        for param in _params(node.params):
            scope.bind(param, None)
        self._frame.suites.append(0)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._frames.pop()

    # -- bindings -------------------------------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        self._in_import += 1
        for alias in node.names:
            full = import_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._scope.bind(alias.asname.name.value, Symbol("external", full))
            else:
                head = full.split(".", 1)[0]
                self._scope.bind(head, Symbol("external", head))

    def leave_Import(self, original_node: cst.Import) -> None:
        self._in_import -= 1

    def leave_ImportFrom(self, original_node: cst.ImportFrom) -> None:
        self._in_import -= 1

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._in_import += 1
        level = len(node.relative)
        module = import_name(node.module) if node.module is not None else ""
        if isinstance(node.names, cst.ImportStar):
            if level == 0:
                self._scope.module().star_imports.append(module)
            return
        for alias in node.names:
            name = import_name(alias.name)
            bound = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                bound = alias.asname.name.value
            full = f"{module}.{name}" if module else name
            if level:
                self._scope.bind(bound, Symbol("relative", full, level=level))
            else:
                self._scope.bind(bound, Symbol("external", full))

    def visit_Assign(self, node: cst.Assign) -> None:
        value = self._value_of(node.value)
        for target in node.targets:
            self._bind_target(target.target, value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind_target(node.target, self._value_of(node.value))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind_target(node.target, None)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind_target(node.target, None)

    def visit_For(self, node: cst.For) -> None:
        self._bind_target(node.target, None)

    def visit_AsName(self, node: cst.AsName) -> None:
        # `with ... as x` and `except ... as x`; an import's alias is bound by the import itself.
        if not self._in_import and isinstance(node.name, (cst.Name, cst.Tuple, cst.List)):
            self._bind_target(node.name, None)

    # -- grad-mode contexts ---------------------------------------------------------------------
    def visit_With(self, node: cst.With) -> None:
        self._with_marks.append((len(self._frame.chain), 0))

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
        if not count:
            return
        chain = self._frame.chain
        items, inside = tuple(chain[start : start + count]), tuple(chain[start + count :])
        del chain[start:]
        if inside:
            # Switches made in the body outlive the block unless a grad-mode item restores
            # the mode on exit, which only resolution can tell.
            first = inside[0]
            chain.append(
                RawContext(first.dotted, first.scope, None, "", first.loc, uncertain_after=inside, restored_by=items)
            )

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._frame.suites.append(len(self._frame.chain))

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self._leave_suite()

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._frame.suites.append(len(self._frame.chain))

    def leave_SimpleStatementSuite(self, original_node: cst.SimpleStatementSuite) -> None:
        self._leave_suite()

    def _leave_suite(self) -> None:
        frame = self._frame
        start = frame.suites.pop()
        inside = tuple(frame.chain[start:])
        del frame.chain[start:]
        if inside and frame.suites:
            first = inside[0]
            frame.chain.append(
                RawContext(first.dotted, first.scope, None, "", first.loc, uncertain_after=inside)
            )

    def visit_Expr(self, node: cst.Expr) -> None:
        # The statement's call is the next located node visited.
        self._statement_call = self.count + 1

    def leave_Expr(self, original_node: cst.Expr) -> None:
        call = original_node.value
        if not isinstance(call, cst.Call):
            return
        loc = self._statement_call
        assert loc is not None
        dotted = dotted_name(call.func)
        if dotted is not None and self._may_switch_on_call(dotted):
            args = "(" + ", ".join(_arg_text(a) for a in call.args) + ")"
            self._frame.chain.append(
                RawContext(dotted, self._scope, call, f"`{dotted}{args}`", loc, "statement")
            )

    # -- calls ----------------------------------------------------------------------------------
    def _call(self, node: cst.Call, loc: Loc) -> None:
        func = node.func
        dotted = dotted_name(func)
        value: Pending | None = None
        method = ""
        if dotted is None:
            if isinstance(func, cst.Attribute):
                inner = self._value_of(func.value)
                if isinstance(inner, Pending) and inner.how != "alias":
                    value, method = inner, func.attr.value
            elif isinstance(func, cst.Call):
                inner = self._value_of(func)
                if isinstance(inner, Pending) and inner.how == "partial":
                    value = inner
            if value is None:
                return
            text = f"{value.dotted}(...)" + (f".{method}" if method else "")
            if value.how == "partial" and not method:
                text = f"partial({value.dotted}, ...)"
        else:
            text = dotted
        frame = self._frame
        self._calls.append(
            _PendingCall(
                dotted, value, method, frame.scope, tuple(frame.entry) + tuple(frame.chain), loc, text
            )
        )

    # -- resolution -----------------------------------------------------------------------------
    def leave_Module(self, original_node: cst.Module) -> None:
        facts = self.facts
        module_scope = self._frames[0].scope
        for qualname, entry in self._functions:
            facts.functions[qualname] = FunctionFact(qualname, self._mode(entry))
        for qualname, scope, bases in self._classes:
            symbols = tuple(s for b in bases if (s := self._resolver.resolve(scope, b)[0]) is not None)
            facts.classes[qualname] = ClassFact(qualname, symbols)
        for pending in self._calls:
            if pending.value is not None:
                symbol, leftover = self._resolver.resolve(pending.scope, pending.value.dotted)
                if symbol is not None and not leftover and not symbol.wrapping:
                    resolved = _wrap(symbol, pending.value, self._resolver)
                    symbol, leftover = resolved, pending.method
                else:
                    symbol = None
            else:
                assert pending.dotted is not None
                symbol, leftover = self._resolver.resolve(pending.scope, pending.dotted)
            if symbol is None or "." in leftover:
                continue
            facts.calls.append(
                CallFact(
                    callee=symbol,
                    method=leftover,
                    loc=pending.loc,
                    scope=pending.scope.qualname,
                    mode=self._mode(pending.contexts),
                    text=pending.text,
                )
            )
        for name, values in module_scope.bindings.items():
            symbol, leftover = self._resolver.resolve(module_scope, name)
            if symbol is not None and not leftover:
                facts.exports[name] = symbol

    def _mode(self, contexts: Sequence[RawContext]) -> Mode:
        mode = NEUTRAL
        for ctx in contexts:
            mode = mode.then(self._effect(ctx))
        return mode

    def _effect(self, ctx: RawContext) -> Mode:
        if ctx.uncertain_after:
            if any(self._grad_api(item) is not None for item in ctx.restored_by):
                return NEUTRAL
            # Only the switches that the block may have moved become unknown after it.
            effects = [self._effect(inner) for inner in ctx.uncertain_after]
            return Mode(
                grad=UNKNOWN if any(e.grad != INHERIT for e in effects) else INHERIT,
                inference=UNKNOWN if any(e.inference != INHERIT for e in effects) else INHERIT,
            )
        api = self._grad_api(ctx)
        if api is None:
            return NEUTRAL
        if ctx.call is None and api[1]:
            # A with-item that is a variable: an instance made earlier with unknown arguments.
            if api[0].effect not in ("no_grad", "enable_grad"):
                return Mode(grad=UNKNOWN, inference=UNKNOWN)
        default: Switch = True if api[0].effect == "inference_mode" else UNKNOWN
        flag = mode_argument(ctx.call, default)
        return effect_of(api[0].effect, flag, Origin(api[0].origin or ctx.text, self.path, ctx.loc))

    def _grad_api(self, ctx: RawContext) -> tuple[GradApi, bool] | None:
        symbol, leftover = self._resolver.resolve(ctx.scope, ctx.dotted)
        if symbol is None or leftover:
            return None
        is_instance = symbol.wrapping == "instance"
        if symbol.wrapping and not is_instance:
            return None
        if ctx.call is not None and is_instance:
            return None
        if ctx.call is None and not is_instance and ctx.form != "decorator":
            # `@torch.no_grad` without parentheses is a decorator that works; a bare name in a
            # `with` is an error at runtime and not our business.
            return None
        if symbol.kind == "external" and symbol.name in self.api.grad_apis:
            api = self.api.grad_apis[symbol.name]
        else:
            wrapper = self.api.wrappers.get(symbol.name.rsplit(".", 1)[-1])
            if wrapper is None:
                return None
            api = wrapper
        if not api.origin:
            api = GradApi(api.qualname, api.effect, api.on_call, ctx.text)
        else:
            api = GradApi(api.qualname, api.effect, api.on_call, f"{ctx.text} ({api.origin})")
        if ctx.form == "statement" and not api.on_call:
            return None  # `torch.no_grad()` as a bare statement switches nothing
        return api, is_instance


def _wrap(symbol: Symbol, pending: Pending, resolver: Resolver) -> Symbol | None:
    if pending.how == "partial":
        func, _ = resolver.resolve(pending.scope, pending.partial_func)
        if func is None or func.name != "functools.partial":
            return None
    return symbol.wrapped(pending.how)


def _params(params: cst.Parameters) -> list[str]:
    names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.append(star.name.value)
    return names


def _arg_text(arg: cst.Arg) -> str:
    value = dotted_name(arg.value)
    if value is None:
        value = "..."
    if arg.keyword is not None:
        return f"{arg.keyword.value}={value}"
    return f"{arg.star}{value}"
