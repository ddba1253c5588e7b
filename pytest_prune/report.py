"""The result of a successful pruning check."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from .errors import GroupChange


def _fmt_count(n: Optional[float]) -> str:
    if n is None:
        return "n/a"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.2f}{unit}"
    return f"{int(n)}"


@dataclass
class PruneReport:
    """What `check_prunable` pruned and verified.

    `model` is the pruned copy (importance probe); the caller's model is never modified.
    """

    model: Any
    model_name: str
    params_before: int
    params_after: int
    macs_before: Optional[float]
    macs_after: Optional[float]
    groups: List[GroupChange]
    device: str
    probes: List[str]
    pruning_ratio: float
    ignored_layers: List[str] = field(default_factory=list)
    num_heads: Dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    probe_seconds: Dict[str, float] = field(default_factory=dict)
    checks: List[str] = field(default_factory=list)
    # Weight ties of the unpruned model that the pruned copy no longer has (one line each).
    broken_ties: List[str] = field(default_factory=list)
    # Why each layer in ignored_layers was kept: "ignored_layers", "reaches an output", ...
    kept_reasons: Dict[str, str] = field(default_factory=dict)
    threads: Optional[int] = None

    @property
    def param_ratio(self) -> float:
        return self.params_after / self.params_before if self.params_before else 1.0

    def summary_dict(self) -> Dict[str, Any]:
        """Plain data, safe to ship from an xdist worker to the controller."""
        return {
            "model": self.model_name,
            "device": self.device,
            "params_before": self.params_before,
            "params_after": self.params_after,
            "macs_before": self.macs_before,
            "macs_after": self.macs_after,
            "groups": len(self.groups),
            "probes": list(self.probes),
            "seconds": round(self.seconds, 3),
            "threads": self.threads,
            "broken_ties": list(self.broken_ties),
            "verdict": "ok",
        }

    def __str__(self) -> str:
        macs = f"{_fmt_count(self.macs_before)} -> {_fmt_count(self.macs_after)}"
        lines = [
            f"PruneReport for {self.model_name} on {self.device} (pruning_ratio={self.pruning_ratio})",
            f"  params : {_fmt_count(self.params_before)} -> {_fmt_count(self.params_after)}"
            f"  ({self.param_ratio:.1%} kept)",
            f"  MACs   : {macs}",
            f"  probes : {', '.join(self.probes)}  ({self.seconds:.2f}s"
            + (f", {self.threads} torch thread{'s' if self.threads != 1 else ''})" if self.threads else ")"),
            f"  checks : {', '.join(self.checks)}",
        ]
        if self.ignored_layers:
            by_reason: Dict[str, List[str]] = {}
            for name in self.ignored_layers:
                by_reason.setdefault(self.kept_reasons.get(name, "ignored_layers"), []).append(name)
            for reason, names in by_reason.items():
                lines.append(f"  kept   : {', '.join(names)} ({reason})")
        for tie in self.broken_ties:
            lines.append(f"  ties   : BROKEN {tie}")
        if self.num_heads:
            heads = ", ".join(f"{k}={v}" for k, v in list(self.num_heads.items())[:6])
            more = " ..." if len(self.num_heads) > 6 else ""
            lines.append(f"  heads  : {heads}{more}")
        if self.groups:
            width = max(len(g.root) for g in self.groups)
            width = max(width, len("group root"))
            lines.append(f"  {'group root'.ljust(width)}  {'type':<12} {'channels':>12}  members")
            for g in self.groups:
                chans = f"{g.root_before}->{g.root_after}"
                lines.append(
                    f"  {g.root.ljust(width)}  {g.root_kind:<12} {chans:>12}  {len(g.members)}"
                )
        else:
            lines.append("  no group was pruned")
        return "\n".join(lines)
