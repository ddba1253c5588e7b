"""Grad-mode switches as written (`with`, decorators, statements) and what they do once names
are resolved: the `ast` twin of `prunelint.analysis.contexts` (a switch's call is an `ast.Call`)."""

from __future__ import annotations

from typing import Literal, Sequence

import ast

from prunelint.analysis.facts import Loc, Symbol
from prunelint.analysis.gradmode import INHERIT, NEUTRAL, UNKNOWN, Mode, Origin, Switch, effect_of
from prunelint.analysis.scopes import Resolver, Scope
from prunelint.settings.apidata import ApiData, GradApi

Form = Literal["with", "decorator", "statement"]


def literal_bool(node: ast.expr) -> Switch:
    if type(node) is ast.Constant and type(node.value) is bool:
        return node.value
    return UNKNOWN


def mode_argument(call: ast.Call | None, default: Switch) -> Switch:
    """The literal `mode` of set_grad_enabled/inference_mode: first positional or `mode=`, in
    the order the arguments are written."""
    if call is None:
        return default
    for keyword, star, value in written_arguments(call):
        if star:
            return UNKNOWN
        if keyword is None or keyword == "mode":
            return literal_bool(value)
    return default


def written_arguments(call: ast.Call) -> list[tuple[str | None, str, ast.expr]]:
    """A call's arguments in the order they are written, each as (keyword or None, star: "",
    "*" or "**", value): `f(a=1, *b)` puts `*b` after `a=1`, where `ast` keeps positional
    arguments and keywords apart."""
    args, keywords = call.args, call.keywords
    found: list[tuple[str | None, str, ast.expr]] = [
        (None, "*", a.value) if type(a) is ast.Starred else (None, "", a) for a in args
    ]
    if not keywords:
        return found
    words = [(k.arg, "" if k.arg is not None else "**", k.value) for k in keywords]
    if not any(type(a) is ast.Starred for a in args):
        return found + words  # no positional argument follows a keyword: they come first
    nodes = [*args, *keywords]
    pairs = sorted(zip(nodes, found + words), key=lambda p: (p[0].lineno, p[0].col_offset))
    return [entry for _, entry in pairs]


class RawContext:
    """A possible grad-mode switch, to be judged once names are resolved.

    Compared by identity, and never changed once made (`with_text` makes a copy). A plain
    class: a frozen dataclass's constructor sets each of its ten fields through
    object.__setattr__."""

    __slots__ = ("dotted", "scope", "call", "text", "loc", "form", "inside", "certain", "restored_by", "preset", "exit_of")

    def __init__(
        self,
        dotted: str,
        scope: Scope,
        call: ast.Call | None,
        text: str,
        loc: Loc,
        form: Form = "with",
        # What a block leaves behind: the switches made inside it...
        inside: tuple["RawContext", ...] = (),
        # ...and whether they surely ran (a `with` body) or perhaps not (an `if` branch).
        certain: bool = False,
        # For a `with` block: its items, whose exit restores the mode if they are grad modes.
        restored_by: tuple["RawContext", ...] = (),
        # A mode known without resolving names: a framework's, around the hooks it runs.
        preset: Mode | None = None,
        # A call to a helper as a statement: the switches its body made, still in force after it.
        exit_of: tuple["RawContext", ...] | None = None,
    ) -> None:
        self.dotted = dotted
        self.scope = scope
        self.call = call
        self.text = text
        self.loc = loc
        self.form = form
        self.inside = inside
        self.certain = certain
        self.restored_by = restored_by
        self.preset = preset
        self.exit_of = exit_of

    def __repr__(self) -> str:
        return f"RawContext({self.dotted!r}, {self.text!r}, form={self.form!r})"

    def with_text(self, text: str) -> "RawContext":
        return RawContext(
            self.dotted, self.scope, self.call, text, self.loc, self.form, self.inside, self.certain,
            self.restored_by, self.preset, self.exit_of,
        )

    @staticmethod
    def block(inside: Sequence["RawContext"], certain: bool, restored_by=()) -> "RawContext":
        first = inside[0]
        return RawContext(
            first.dotted, first.scope, None, "", first.loc, inside=tuple(inside), certain=certain,
            restored_by=tuple(restored_by),
        )


class ModeResolver:
    def __init__(self, path: str, api: ApiData, resolver: Resolver) -> None:
        self.path = path
        self.api = api
        self.resolver = resolver
        # Decorators defined in this module whose wrapper runs the wrapped function under a
        # grad mode, by qualified name (found by `FactCollector._wrapping_decorators`).
        self.local_wrappers: dict[str, GradApi] = {}
        # Every call of a block carries the block's chain of switches: each switch is judged
        # once, while the local wrappers it may name stay the same (they are only added to).
        self._effects: dict[RawContext, tuple[int, Mode]] = {}

    def mode(self, contexts: Sequence[RawContext]) -> Mode:
        mode = NEUTRAL
        for ctx in contexts:
            effect = self.effect(ctx)
            if effect.grad != INHERIT or effect.inference != INHERIT:  # else `then` changes nothing
                mode = mode.then(effect)
        return mode

    def effect(self, ctx: RawContext) -> Mode:
        version = len(self.local_wrappers)
        known = self._effects.get(ctx)
        if known is not None and known[0] == version:
            return known[1]
        found = self._effect(ctx)
        self._effects[ctx] = (version, found)
        return found

    def _effect(self, ctx: RawContext) -> Mode:
        if ctx.preset is not None:
            return ctx.preset
        if ctx.exit_of is not None:
            left = self.mode(ctx.exit_of)
            if not left.disabled:
                return left  # on again, unknown, or untouched: as the helper leaves it
            # The message points at the call, and says what the helper does.
            origin = Origin(ctx.text, self.path, ctx.loc)
            return Mode(left.grad, left.inference, origin if left.grad is False else None, origin if left.inference is True else None)
        if ctx.inside:
            if any(self.grad_api(item) is not None or self._is_stack(item) for item in ctx.restored_by):
                # Leaving a grad-mode `with` restores the mode it found, and so does closing
                # an ExitStack that a grad mode was entered on.
                return NEUTRAL
            if ctx.certain:
                return self.mode(ctx.inside)
            # Only the switches that the block may have moved become unknown after it.
            effects = [self.effect(inner) for inner in ctx.inside]
            return Mode(
                grad=UNKNOWN if any(e.grad != INHERIT for e in effects) else INHERIT,
                inference=UNKNOWN if any(e.inference != INHERIT for e in effects) else INHERIT,
            )
        found = self.grad_api(ctx)
        if found is None:
            return NEUTRAL
        api, is_instance = found
        if ctx.call is None and is_instance and api.effect not in ("no_grad", "enable_grad"):
            # A with-item that is a variable: an instance made earlier with unknown arguments.
            return Mode(grad=UNKNOWN, inference=UNKNOWN)
        default: Switch = True if api.effect == "inference_mode" else UNKNOWN
        flag = mode_argument(ctx.call, default)
        return effect_of(api.effect, flag, Origin(api.origin or ctx.text, self.path, ctx.loc))

    def grad_api(self, ctx: RawContext) -> tuple[GradApi, bool] | None:
        symbol, leftover = self.resolver.resolve(ctx.scope, ctx.dotted)
        if symbol is None:
            return self._either(ctx)
        if leftover:
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
        api = self._api_of(symbol)
        if api is None:
            return None
        if ctx.form == "statement" and not api.on_call:
            return None  # `torch.no_grad()` as a bare statement switches nothing
        return self._described(api, ctx), is_instance

    def _is_stack(self, ctx: RawContext) -> bool:
        """`with ExitStack() as stack:`: a with-item that closes a context stack on exit."""
        symbol, leftover = self.resolver.resolve(ctx.scope, ctx.dotted)
        classes = self.api.table("context_stacks").get("classes", ())
        return symbol is not None and not leftover and symbol.kind == "external" and symbol.name in classes

    def _api_of(self, symbol: Symbol) -> GradApi | None:
        if symbol.kind == "local" and symbol.name in self.local_wrappers:
            return self.local_wrappers[symbol.name]
        if symbol.kind == "external" and symbol.name in self.api.grad_apis:
            return self.api.grad_apis[symbol.name]
        if symbol.kind in ("external", "local", "relative"):
            return self.api.wrappers.get(symbol.name.rsplit(".", 1)[-1])
        return None

    def _described(self, api: GradApi, ctx: RawContext) -> GradApi:
        origin = f"{ctx.text} ({api.origin})" if api.origin else ctx.text
        return GradApi(api.qualname, api.effect, api.on_call, origin)

    def _either(self, ctx: RawContext) -> tuple[GradApi, bool] | None:
        """A name bound to several grad modes (`try: inference_mode ... except: no_grad`)
        switches autograd off whichever is taken; it counts as the milder, no_grad."""
        if ctx.call is None and ctx.form != "decorator":
            return None
        options = self.resolver.candidates(ctx.scope, ctx.dotted)
        if not options:
            return None
        apis = [self._api_of(symbol) for symbol in options]
        if any(api is None for api in apis):
            return None
        effects = {api.effect for api in apis if api is not None}
        if effects == {"no_grad", "inference_mode"}:
            effects = {"no_grad"}
        if len(effects) != 1 or (ctx.form == "statement"):
            return None
        chosen = next(api for api in apis if api is not None and api.effect in effects)
        return self._described(chosen, ctx), False
