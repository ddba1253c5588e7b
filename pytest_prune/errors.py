"""Exceptions raised by the pruning check.

Kept free of torch imports so that pytest can load the plugin (and users can catch
these types) even where torch is not installed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Sequence

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
    ) -> None:
        self.model_name = model_name
        self.diagnosis = diagnosis
        self.device = device
        self.pruning_ratio = pruning_ratio
        self.probe_verdicts = list(probe_verdicts)
        super().__init__(self.render())

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
        if self.probe_verdicts:
            verdicts = ", ".join(f"{name}={verdict}" for name, verdict in self.probe_verdicts)
            lines.append(f"  probes     : {verdicts}")
        return "\n".join(lines)
