"""Exceptions raised by the pruning check.

Kept free of torch imports so that pytest can load the plugin (and users can catch
these types) even where torch is not installed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

INSTALL_HINT = "pip install prunelint[pytest]"


class TorchMissing(ImportError):
    """torch or torch-pruning cannot be imported."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(
            f"pytest_prune needs torch and torch-pruning ({type(cause).__name__}: {cause}). "
            f"Install them with: {INSTALL_HINT}"
        )


class DeviceUnavailable(RuntimeError):
    """The requested device does not exist on this machine; callers should skip, not fail."""

    def __init__(self, device: str, reason: str) -> None:
        self.device = device
        self.reason = reason
        super().__init__(f"device {device!r} unavailable: {reason}")


class InvalidOption(ValueError):
    """An option of the check cannot be used (a typo in ignored_layers, an unknown probe)."""


class GroupingStalled(BaseException):
    """Torch-Pruning's group expansion keeps adding the same dependency (Torch-Pruning #527).

    A BaseException, like the time limit: Torch-Pruning and the stage wrappers catch Exception.
    """

    def __init__(self, target: str, times: int) -> None:
        self.target = target
        self.times = times
        super().__init__(f"Torch-Pruning's grouping added {target} to one group {times} times without finishing")


class StageError(Exception):
    """A verification stage of one attempt failed; carries what the diagnosis needs."""

    def __init__(self, stage: str, error: str, group: "Optional[GroupChange]" = None,
                 detail: Sequence[str] = (), layer: Optional[str] = None) -> None:
        super().__init__(error)
        self.stage = stage
        self.error = error
        self.group = group
        self.detail = list(detail)
        self.layer = layer


def one_line(exc: BaseException) -> str:
    """`Type: first non-empty line of the message`, at most 300 characters."""
    text = str(exc).strip().splitlines()
    first = next((line.strip() for line in text if line.strip()), "")
    if len(first) > 300:
        first = first[:297] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


@dataclass
class MemberChange:
    """One coupled layer of a group, and how its pruned dimension changed."""

    name: str
    kind: str
    dim: str  # "out" or "in"
    before: Optional[int]
    after: Optional[int]
    expected_removed: int

    def describe(self) -> str:
        after = "?" if self.after is None else self.after
        change = f"{self.before}->{after}" if self.before is not None else "?"
        return f"{self.name} ({self.kind}) {self.dim} {change}"


@dataclass
class GroupChange:
    """A coupled group as it was pruned: root layer plus every member."""

    root: str
    root_kind: str
    members: List[MemberChange] = field(default_factory=list)

    @property
    def root_before(self) -> Optional[int]:
        for m in self.members:
            if m.name == self.root and m.dim == "out":
                return m.before
        return self.members[0].before if self.members else None

    @property
    def root_after(self) -> Optional[int]:
        for m in self.members:
            if m.name == self.root and m.dim == "out":
                return m.after
        return self.members[0].after if self.members else None

    def describe(self, indent: str = "    ", limit: int = 12) -> str:
        after = "?" if self.root_after is None else self.root_after
        lines = [f"root {self.root} ({self.root_kind}) out {self.root_before}->{after}"]
        shown = [m for m in self.members if not (m.name == self.root and m.dim == "out")]
        for m in shown[:limit]:
            lines.append(f"{indent}member {m.describe()}")
        if len(shown) > limit:
            lines.append(f"{indent}... and {len(shown) - limit} more members")
        return "\n".join(lines)


@dataclass
class Diagnosis:
    """What broke, where, and under which probe."""

    stage: str
    probe: str
    error: str
    group: Optional[GroupChange] = None
    hints: List[str] = field(default_factory=list)
    detail: List[str] = field(default_factory=list)
    # The layer Torch-Pruning was pruning when it raised inside its own code, if known.
    layer: Optional[str] = None
    # Settings the hints propose, as check_prunable keyword arguments: {"ignored_layers": ["conv"]}.
    proposals: List[Dict[str, Any]] = field(default_factory=list)
    # "verified: ..." / "not enough: ..." lines, one per proposal that was re-run.
    verified: List[str] = field(default_factory=list)


class PruneCheckFailure(AssertionError):
    """A model could not be pruned consistently.

    An AssertionError so that pytest reports it as a test failure, not an error.
    """

    def __init__(
        self,
        model_name: str,
        diagnosis: Diagnosis,
        *,
        device: str = "cpu",
        pruning_ratio: float = 0.5,
        probe_verdicts: Sequence[tuple] = (),
        threads: Optional[int] = None,
    ) -> None:
        self.model_name = model_name
        self.diagnosis = diagnosis
        self.device = device
        self.pruning_ratio = pruning_ratio
        self.probe_verdicts = list(probe_verdicts)
        self.threads = threads
        super().__init__(self.render())

    def refresh(self) -> None:
        """Render again after the diagnosis or the thread count changed."""
        self.args = (self.render(),)

    def __str__(self) -> str:
        return self.render()

    @property
    def stage(self) -> str:
        return self.diagnosis.stage

    @property
    def probe(self) -> str:
        return self.diagnosis.probe

    def render(self) -> str:
        d = self.diagnosis
        lines = [
            f"{self.model_name} cannot be pruned consistently "
            f"(device {self.device}, pruning_ratio={self.pruning_ratio})",
            f"  what broke : {d.stage}",
            f"  probe      : {d.probe}",
            f"  error      : {d.error}",
        ]
        if d.group is not None:
            lines.append("  group      : " + d.group.describe(indent=" " * 15))
        for extra in d.detail:
            lines.append(f"  detail     : {extra}")
        for hint in d.hints:
            lines.append(f"  hint       : {hint}")
        for line in d.verified:
            lines.append(f"  suggestion : {line}")
        if self.probe_verdicts:
            verdicts = ", ".join(f"{name}={verdict}" for name, verdict in self.probe_verdicts)
            lines.append(f"  probes     : {verdicts}")
        if self.threads:
            lines.append(f"  threads    : {self.threads} (torch intra-op)")
        return "\n".join(lines)
