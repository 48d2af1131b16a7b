"""One trial: sample a candidate, reject it in seconds if it cannot meet the constraints, else train,
prune on validation quality, test, measure, save. Every outcome is recorded on the trial."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import optuna
import torch

from sizeup.data.bundle import DataBundle
from sizeup.measurement import count_flops, count_params, probe_latency_ms
from sizeup.selection.constraints import describe, excess, violations
from sizeup.selection.space import suggest
from sizeup.task import Task
from sizeup.training import Callback, Objective, TrainingDiverged, evaluate, fit
from sizeup.training.run import example_inputs, resolve_config, serving_device

__all__ = ["SearchContext", "run_trial"]


@dataclass
class SearchContext:
    task: Task
    data: DataBundle
    families: list[str]
    limits: dict[str, float]
    metric: str
    out_dir: Path
    max_epochs: int
    trial_seconds: float | None
    deadline: float | None = None
    on_epoch: Callable[[int, dict[str, Any]], None] | None = None


class _PruneOnValidation(Callback):
    """Report the validation metric each epoch; stop the run when the pruner says so."""

    def __init__(self, trial: optuna.Trial, ctx: SearchContext) -> None:
        self.trial, self.ctx, self.pruned_at = trial, ctx, None

    def on_epoch_end(self, logs: dict[str, Any]) -> None:
        value = logs[f"val_{self.ctx.metric}"]
        self.trial.report(value, logs["epoch"])
        if self.ctx.on_epoch:
            self.ctx.on_epoch(self.trial.number, logs)
        if not self.trial.user_attrs.get("baseline") and self.trial.should_prune():
            self.pruned_at = (logs["epoch"], value)
            self.stop_training, self.stop_reason = True, "pruned"


def _quick_figures(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], device: str) -> dict[str, Any]:
    """Figures known from the built model in about a second: params, FLOPs, estimated memory, a latency probe.

    Memory comes from the estimator (``sizeup.estimation.estimate_module`` on the meta device), the code
    ``sizeup estimate`` uses. The probe keeps its fastest call: a short probe on a busy machine can be
    slowed many times over, and a candidate should be rejected untrained only when even its best case
    breaks the limit. The full measurement after training is the one that decides.
    """
    from sizeup.estimation import estimate_module

    one = tuple(t[:1] for t in inputs)
    model.eval()
    try:
        memory = estimate_module(model, one, mode="infer").memory.total / 2**20
        with torch.inference_mode():
            flops = count_flops(model, one)
        probe = probe_latency_ms(model, one, device=device)  # on the serving device, at measure's thread count
    finally:
        model.train()
    return {"params": count_params(model), "flops": flops, "memory_mb": memory, "latency_ms": probe}


def _set_constraints(trial: optuna.Trial, limits: dict[str, float], figures: dict[str, Any]) -> None:
    for key, value in excess(limits, figures).items():
        trial.set_constraint(key, value)


def run_trial(trial: optuna.Trial, ctx: SearchContext) -> float:
    from sizeup.checkpoint import save_model
    from sizeup.measurement import measure
    from sizeup.zoo import build

    family, knobs, settings = suggest(trial, ctx.families)
    info = ctx.data.info
    inputs = example_inputs(info, ctx.data.test, 256)
    torch.manual_seed(ctx.task.train.seed)
    model = build(family, info, **knobs)
    trial.set_user_attr("family", family)
    trial.set_user_attr("model", model.spec.describe())
    quick = _quick_figures(model, inputs, serving_device(ctx.task))
    for k, v in quick.items():
        trial.set_user_attr(k, v)
    broken = violations({k: v for k, v in ctx.limits.items() if k != "max_train_seconds"}, quick)
    if broken:
        trial.set_user_attr("status", "infeasible")
        trial.set_user_attr("reason", describe(broken))
        _set_constraints(trial, ctx.limits, quick)
        raise optuna.TrialPruned("infeasible before training")
    seconds = ctx.trial_seconds
    if ctx.deadline is not None:
        seconds = max(5.0, min(seconds or float("inf"), ctx.deadline - time.monotonic()))
    config = resolve_config(ctx.task, info, epochs=ctx.max_epochs, max_seconds=seconds, **settings)
    pruner = _PruneOnValidation(trial, ctx)
    try:
        result = fit(model, ctx.data, config, metric=ctx.metric, callbacks=[pruner])
    except TrainingDiverged as exc:
        trial.set_user_attr("status", "failed")
        trial.set_user_attr("reason", str(exc))
        raise
    trial.set_user_attr("train_seconds", result.train_seconds)
    trial.set_user_attr("epochs", result.epochs)
    trial.set_user_attr(f"val_{ctx.metric}", result.best_val)
    best = next((h for h in result.history if h["epoch"] == result.best_epoch), result.history[-1])
    trial.set_user_attr("val_loss", best["val_loss"])
    trial.set_user_attr("best_epoch", result.best_epoch)
    trial.set_user_attr("history", [{k: h[k] for k in ("epoch", "train_loss", f"val_{ctx.metric}")} for h in result.history])
    if pruner.pruned_at is not None:
        epoch, value = pruner.pruned_at
        trial.set_user_attr("status", "pruned")
        trial.set_user_attr("reason", f"pruned at epoch {epoch}: val_{ctx.metric} {value:.4f} below its rung")
        raise optuna.TrialPruned()
    test = evaluate(model, ctx.data.test, Objective(info.task), n_classes=info.n_outputs)
    m = measure(model, inputs, latency_budget_s=0.5, device=serving_device(ctx.task))
    figures = {"params": m.params, "flops": m.flops, "latency_ms": m.latency_ms, "throughput": m.throughput,
               "memory_mb": m.memory_mb, "train_seconds": result.train_seconds}
    conditions = {"device": m.device, "latency_threads": m.latency_threads, "trained_on": result.extra.get("device"),
                  "load_avg_1m": m.load_average[0] if m.load_average else None}
    for k, v in {**figures, **{f"test_{k}": v for k, v in test.items()}, **conditions}.items():
        trial.set_user_attr(k, v)
    broken = violations(ctx.limits, figures)
    _set_constraints(trial, ctx.limits, figures)
    trial.set_user_attr("status", "completed")
    trial.set_user_attr("feasible", not broken)
    if broken:
        trial.set_user_attr("reason", "measured: " + describe(broken))
    save_model(model, info, ctx.out_dir / "trials" / str(trial.number),
               extra={"trial": trial.number, "train": settings, "val": result.best_val})
    return result.best_val
