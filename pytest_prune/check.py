"""`check_prunable`: the entry of the check. It validates the options, then prunes deep copies
of a model for real (context.py builds the reference, attempt.py prunes one probe, verify.py
checks the result) and turns the outcome into a PruneReport or a PruneCheckFailure.

The library API behind the pytest fixtures; usable without pytest.
"""
from __future__ import annotations

import time
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch_pruning as tp

from . import options as opts
from .attempt import Attempt, run_probe
from .context import Context, LayerRef, broken_ties, make_context
from .deadline import TimeLimitExceeded, time_limit
from .devices import resolve_device
from .errors import Diagnosis, GroupingStalled, InvalidOption, PruneCheckFailure
from .hints import hints_for
from .isolation import torch_pruning_state_kept
from .modes import autograd_on, collections_deferred, fingerprint, seeded
from .probes import DEFAULT_PROBES, ProbeSpec, parse_probes
from .report import PruneReport
from .stall import stalled_grouping_detected
from .suggest import verify_proposals
from .threads import torch_threads

__all__ = ["check_prunable"]


def check_prunable(
    model: nn.Module,
    example_inputs: Any,
    *,
    pruning_ratio: float = 0.5,
    importance: Any = None,
    ignored_layers: Optional[Sequence[LayerRef]] = None,
    device: Union[str, torch.device, None] = None,
    keep_output_shapes: bool = True,
    probes: ProbeSpec = DEFAULT_PROBES,
    exhaustive: bool = False,
    atol: float = 1e-4,
    time_limit_s: Optional[float] = 300.0,
    pruner_class: Any = None,
    after_prune: Optional[Callable[..., Any]] = None,
    gqa_keep_attention: bool = True,
    threads: Optional[int] = None,
    verify_suggestions: bool = False,
    **pruner_kwargs: Any,
) -> PruneReport:
    """Prune copies of `model` with Torch-Pruning and verify the pruned model works.

    Raises PruneCheckFailure (an AssertionError) carrying a diagnosis if any probe breaks
    the model, DeviceUnavailable if `device` does not exist here, and InvalidOption (a
    ValueError) for options, models or inputs it cannot use; these are checked before
    anything is copied or pruned.
    """
    started = time.perf_counter()
    pruner_class = pruner_class or tp.pruner.BasePruner
    opts.check_model(model)
    opts.check_keywords(pruner_class, pruner_kwargs)
    opts.check_values(pruning_ratio, after_prune, threads)
    opts.check_inputs(example_inputs)
    dev = resolve_device(device)
    try:
        probe_list = parse_probes(probes)
    except (TypeError, ValueError) as exc:
        raise InvalidOption(f"probes={probes!r}: {exc}") from None
    name = type(model).__name__
    _refuse_unusable_model(model, name, dev, pruning_ratio)
    settings = dict(importance=importance, pruning_ratio=pruning_ratio, ignored_layers=ignored_layers,
                    keep_output_shapes=keep_output_shapes, exhaustive=exhaustive, atol=atol,
                    pruner_class=pruner_class, after_prune=after_prune, gqa_keep_attention=gqa_keep_attention,
                    pruner_kwargs=pruner_kwargs)
    before = fingerprint(model)
    phase: List[str] = ["building the dependency graph"]
    with torch_threads(threads) as used_threads:
        try:
            with time_limit(time_limit_s, phase), torch_pruning_state_kept(), stalled_grouping_detected():
                report = _check(model, example_inputs, dev, probe_list, before, phase, started, **settings)
        except TimeLimitExceeded as exc:
            raise PruneCheckFailure(name, Diagnosis(
                stage="time limit", probe="-", error=f"Torch-Pruning is {exc.args[0]} (time_limit_s={time_limit_s})",
                hints=_time_limit_hints(model)),
                device=str(dev), pruning_ratio=pruning_ratio, threads=used_threads) from None
        except GroupingStalled as exc:
            raise PruneCheckFailure(name, Diagnosis(
                stage="grouping makes no progress", probe="-", error=str(exc),
                detail=[f"while {phase[-1]}"], hints=_stall_hints(model)),
                device=str(dev), pruning_ratio=pruning_ratio, threads=used_threads) from None
        except PruneCheckFailure as failure:
            failure.threads = used_threads
            if verify_suggestions and failure.diagnosis.proposals:
                verify_proposals(failure, model, example_inputs,
                                 dict(settings, device=device, probes=probes, time_limit_s=time_limit_s,
                                      threads=threads), run=check_prunable)
            failure.refresh()
            raise
        report.threads = used_threads
        return report


def _refuse_unusable_model(model: nn.Module, name: str, dev: torch.device, pruning_ratio: float) -> None:
    problem = _unusable(model)
    if problem is not None:
        stage, error, hint = problem
        raise PruneCheckFailure(name, Diagnosis(stage=stage, probe="-", error=error, hints=[hint]),
                                device=str(dev), pruning_ratio=pruning_ratio)


def _unusable(model: nn.Module) -> Optional[Tuple[str, str, str]]:
    """(stage, error, hint) for a model that no check can run on, or None."""
    if isinstance(model, torch.jit.ScriptModule):
        # Torch-Pruning traces eager modules through autograd; a scripted module's parameters
        # are not reached, so the check would report "nothing was pruned" for the wrong reason.
        return ("tracing",
                "a TorchScript module (torch.jit.script or torch.jit.trace) cannot be traced by Torch-Pruning",
                "check the eager nn.Module, before scripting it: prune first, then script the pruned model")
    meta = opts.meta_tensors(model)
    if meta:
        return ("meta tensors",
                f"{len(meta)} parameters/buffers are on the meta device ({', '.join(meta[:3])})",
                "meta tensors have shapes but no values, so the model cannot run: materialise it first "
                "(model.to_empty(device='cpu'), then load or initialise the weights)")
    bad = opts.non_finite_tensors(model)
    if bad:
        return ("non-finite weights",
                f"{len(bad)} parameters/buffers hold NaN or Inf ({', '.join(bad[:3])})",
                "the unpruned model already holds NaN/Inf: magnitude rankings and output comparisons are "
                "meaningless on them; check the initialisation or the checkpoint")
    return None


def _gqa_heads(model: Any) -> Optional[Tuple[int, int]]:
    config = getattr(model, "config", None)
    heads = getattr(config, "num_attention_heads", None)
    kv_heads = getattr(config, "num_key_value_heads", None)
    if isinstance(heads, int) and isinstance(kv_heads, int) and kv_heads < heads:
        return heads, kv_heads
    return None


def _stall_hints(model: Any) -> List[str]:
    gqa = _gqa_heads(model)
    if gqa:
        return [f"grouped-query attention ({gqa[0]} query heads, {gqa[1]} key/value heads): Torch-Pruning 1.6's "
                "index mapping through repeat_kv never closes the group (Torch-Pruning issue #527, reproduction "
                "in docs/plugin/gqa.md); leave num_heads unset so that the check keeps the attention "
                "projections whole (gqa_keep_attention=True, the default), or ignore q/k/v/o_proj yourself"]
    return ["Torch-Pruning keeps re-adding the same dependency with new indices, as with grouped-query "
            "attention (Torch-Pruning issue #527): ignore the layers named here (ignored_layers)"]


def _time_limit_hints(model: Any) -> List[str]:
    gqa = _gqa_heads(model)
    if gqa:
        return [f"grouped-query attention ({gqa[0]} query heads, {gqa[1]} key/value heads) can make "
                "Torch-Pruning 1.6's group expansion loop (Torch-Pruning issue #527); "
                "ignore the q/k/v/o projections or prune a model without GQA"]
    return ["Torch-Pruning's group expansion can loop forever on some graphs; ignore the layers "
            "involved or raise time_limit_s"]


def _check(model, example_inputs, dev, probe_list, before, phase, started, *, importance, pruning_ratio,
           ignored_layers, keep_output_shapes, exhaustive, atol, pruner_class, after_prune, gqa_keep_attention,
           pruner_kwargs) -> PruneReport:
    with collections_deferred() as sweep, seeded(0), autograd_on(), warnings.catch_warnings():
        # Torch-Pruning's tracing warnings are noise here; what matters ends up in the diagnosis.
        warnings.filterwarnings("ignore", module="torch_pruning")

        def context_on(device: torch.device) -> Context:
            return make_context(model, example_inputs, device, importance=importance, pruning_ratio=pruning_ratio,
                                ignored_layers=ignored_layers, keep_output_shapes=keep_output_shapes,
                                pruner_kwargs=pruner_kwargs, pruner_class=pruner_class, atol=atol,
                                after_prune=after_prune, gqa_keep_attention=gqa_keep_attention)

        ctx = context_on(dev)
        verdicts: List[Tuple[str, str]] = []
        failures: List[Diagnosis] = []
        attempts: Dict[str, Attempt] = {}
        for probe in probe_list:
            phase.append(f"pruning probe {probe.name}")
            # The first probe's model is the report's: its verifying forward counts the MACs.
            outcome = run_probe(ctx, probe, count_macs=probe is probe_list[0])
            sweep()
            if isinstance(outcome, Diagnosis):
                verdicts.append((probe.name, f"FAILED ({outcome.stage})"))
                failures.append(outcome)
            else:
                verdicts.append((probe.name, "ok"))
                attempts[probe.name] = outcome
        if exhaustive:
            # Groups that reach an output are pruned too unless keep_output_shapes ignored them.
            roots = ctx.graph.group_roots + [r for r in ctx.graph.output_layers if r not in ctx.ignored_names]
            for root in roots:
                for probe in probe_list:
                    label = f"{probe.name}@{root}"
                    phase.append(f"pruning probe {label}")
                    outcome = run_probe(ctx, probe, only_root=root, label=label)
                    sweep()
                    if isinstance(outcome, Diagnosis):
                        verdicts.append((label, f"FAILED ({outcome.stage})"))
                        failures.append(outcome)
                    else:
                        verdicts.append((label, "ok"))
        if not failures and dev.type != "cpu":
            mismatch = _compare_with_cpu(ctx, context_on(torch.device("cpu")), attempts, probe_list[0])
            if mismatch is not None:
                failures.append(mismatch)
                verdicts.append((f"{probe_list[0].name}@cpu", "FAILED (cpu/device shapes differ)"))

    if fingerprint(model) != before:
        # Our own guarantee; if it ever breaks the user must hear about it.
        failures.insert(0, Diagnosis(stage="original model was modified", probe="-",
                                     error="parameters, buffers or training flags of the caller's model changed"))
    if failures:
        passed = {name for name, verdict in verdicts if verdict == "ok"}
        first = failures[0]
        hints, proposals = hints_for(first, ctx, passed)
        first.hints = hints + first.hints
        first.proposals = proposals + first.proposals
        raise PruneCheckFailure(ctx.model_name, first, device=str(dev), pruning_ratio=pruning_ratio,
                                probe_verdicts=verdicts)

    main = attempts[probe_list[0].name]
    ref = ctx.reference
    assert ref is not None
    pruned_params = sum(p.numel() for p in main.model.parameters())
    checks = ["group sizes", "declared sizes", "forward", "output shapes+dtypes", "backward", "gradients",
              "fewer params", "state-dict round trip"]
    if dev.type != "cpu":
        checks.append("same shapes as cpu")
    kept = {n: "ignored_layers" for n in ctx.ignored_names}
    for a in ctx.gqa_kept:
        for n in list(kept):
            if n.startswith(a + "."):
                kept[n] = "grouped-query attention, Torch-Pruning #527"
    for n in ctx.graph.output_layers:
        if kept.get(n) == "ignored_layers" and n in ctx.ignored_names:
            kept[n] = "reaches an output"
    return PruneReport(
        model=main.model,
        model_name=ctx.model_name,
        params_before=ref.params,
        params_after=pruned_params,
        macs_before=ref.macs,
        macs_after=main.macs,
        groups=main.groups,
        device=str(dev),
        probes=[name for name, _ in verdicts],
        pruning_ratio=pruning_ratio,
        ignored_layers=list(ctx.ignored_names),
        num_heads=main.heads,
        seconds=time.perf_counter() - started,
        probe_seconds={name: a.seconds for name, a in attempts.items()},
        checks=checks,
        broken_ties=broken_ties(main.model, ctx.ties),
        kept_reasons=kept,
    )


def _compare_with_cpu(ctx: Context, cpu: Context, attempts: Dict[str, Attempt], probe: Any) -> Optional[Diagnosis]:
    """The same probe on CPU must prune to the same parameter shapes."""
    other = run_probe(cpu, probe, label=f"{probe.name}@cpu")
    if isinstance(other, Diagnosis):
        other.stage = f"on cpu: {other.stage}"
        return other
    here = {n: tuple(p.shape) for n, p in attempts[probe.name].model.named_parameters()}
    there = {n: tuple(p.shape) for n, p in other.model.named_parameters()}
    diff = [f"{n}: {ctx.device} {here.get(n)} vs cpu {there.get(n)}" for n in sorted(set(here) | set(there))
            if here.get(n) != there.get(n)]
    if diff:
        return Diagnosis(stage="cpu and device prune to different shapes", probe=probe.name,
                         error=diff[0], detail=diff[1:4])
    return None
