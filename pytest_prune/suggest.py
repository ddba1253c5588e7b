"""Verified suggestions: re-run the check with the settings a diagnosis proposes.

Bounded: at most MAX_PROPOSALS re-runs, each with the caller's own probes and time limit,
and only when asked for (verify_suggestions=True, the `prune(verify_suggestions=True)`
marker or --prune-verify-suggestions).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List

from .errors import InvalidOption, PruneCheckFailure

MAX_PROPOSALS = 2


def _fmt(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f}{unit}"
    return str(int(n))


def describe(proposal: Dict[str, Any]) -> str:
    parts = []
    for key, value in proposal.items():
        if key == "ignored_layers":
            parts.append("ignored_layers=[" + ", ".join(f"model.{v}" for v in value) + "]")
        else:
            parts.append(f"{key}={value!r}")
    return ", ".join(parts)


def merged(settings: Dict[str, Any], proposal: Dict[str, Any]) -> Dict[str, Any]:
    """check_prunable keyword arguments: the caller's, with the proposal added."""
    kwargs = {k: v for k, v in settings.items() if k != "pruner_kwargs"}
    kwargs.update(settings.get("pruner_kwargs", {}))
    for key, value in proposal.items():
        if key == "ignored_layers":
            kwargs["ignored_layers"] = list(kwargs.get("ignored_layers") or []) + list(value)
        else:
            kwargs[key] = value
    kwargs["verify_suggestions"] = False
    return kwargs


def verify_proposals(failure: PruneCheckFailure, model: Any, example_inputs: Any, settings: Dict[str, Any],
                     run: Callable[..., Any]) -> None:
    """Append one "verified: ..." or "not enough: ..." line per proposal to the diagnosis."""
    lines: List[str] = []
    for proposal in failure.diagnosis.proposals[:MAX_PROPOSALS]:
        text = describe(proposal)
        try:
            report = run(model, example_inputs, **merged(settings, proposal))
        except PruneCheckFailure as again:
            lines.append(f"not enough: with {text} it still fails ({again.stage}: {again.diagnosis.error})")
            continue
        except InvalidOption as exc:
            lines.append(f"not enough: {text} is not usable here ({exc})")
            continue
        lines.append(f"verified: with {text} the model prunes, params "
                     f"{_fmt(report.params_before)} -> {_fmt(report.params_after)}")
    failure.diagnosis.verified = lines
