"""Autograd state as torch defines it, as a small algebra of effects.

Two independent switches matter for tracing: grad mode and inference mode. `no_grad` and
`set_grad_enabled` move the first; `inference_mode(True)` turns the second on (and grad off);
`inference_mode(False)` turns it off and grad on; `enable_grad` turns grad on but leaves inference
mode as it was, which is why `enable_grad()` inside `inference_mode()` still traces nothing.
"""

from __future__ import annotations

from typing import Literal, NamedTuple, Union

# A switch is True/False when known, INHERIT when the code leaves it as the caller had it, and
# UNKNOWN when it depends on a runtime value (`set_grad_enabled(flag)`): never flagged.
INHERIT: Literal["inherit"] = "inherit"
UNKNOWN: Literal["unknown"] = "unknown"
Switch = Union[bool, Literal["inherit", "unknown"]]


class Origin(NamedTuple):
    """Where the mode was switched, for the message."""

    text: str  # e.g. "`with torch.no_grad()`"
    path: str  # absolute
    # See prunelint.analysis.facts.Loc; None where no node of the file switches the mode (a
    # framework that runs the code with autograd off).
    loc: int | None



class Mode(NamedTuple):
    grad: Switch = INHERIT
    inference: Switch = INHERIT
    grad_origin: Origin | None = None
    inference_origin: Origin | None = None

    def then(self, inner: "Mode") -> "Mode":
        """The mode inside `inner` when `inner` is entered under `self`."""
        grad, grad_origin = self.grad, self.grad_origin
        if inner.grad != INHERIT:
            grad, grad_origin = inner.grad, inner.grad_origin
        inference, inference_origin = self.inference, self.inference_origin
        if inner.inference != INHERIT:
            inference, inference_origin = inner.inference, inner.inference_origin
        return Mode(grad, inference, grad_origin, inference_origin)

    @property
    def disabled(self) -> bool:
        return self.inference is True or self.grad is False

    @property
    def cause(self) -> Origin | None:
        if self.inference is True:
            return self.inference_origin
        if self.grad is False:
            return self.grad_origin
        return None

    @property
    def in_inference(self) -> bool:
        return self.inference is True

    def key(self) -> tuple[Switch, Switch]:
        return (self.grad, self.inference)


NEUTRAL = Mode()


def effect_of(kind: str, flag: Switch, origin: Origin) -> Mode:
    """The mode change made by one grad-mode API, given its literal `mode` argument if any."""
    if kind == "no_grad":
        return Mode(grad=False, grad_origin=origin)
    if kind == "enable_grad":
        return Mode(grad=True, grad_origin=origin)
    if kind == "set_grad_enabled":
        return Mode(grad=flag, grad_origin=origin)
    if kind == "inference_mode":
        if flag is True:
            return Mode(grad=False, inference=True, grad_origin=origin, inference_origin=origin)
        if flag is False:
            return Mode(grad=True, inference=False, grad_origin=origin, inference_origin=origin)
        return Mode(grad=UNKNOWN, inference=UNKNOWN, grad_origin=origin, inference_origin=origin)
    raise ValueError(f"unknown grad-mode effect {kind!r}")
