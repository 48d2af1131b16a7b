"""One trial: sample a candidate, reject it in seconds if it cannot meet the constraints, else train (on each fold
under k-fold validation), prune on validation quality, test, measure, save. Every outcome is recorded on the trial.

Only expected failures end a trial as failed: a diverging loss and running out of memory. Anything else is a bug or
an input sizeup does not check, and stops the search (:func:`guarded`), with the traceback saved in the run folder.
"""

from __future__ import annotations

import functools
import math
import statistics
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import optuna
import torch

from sizeup.costs.energy import energy_meter
from sizeup.data.bundle import DataBundle
from sizeup.errors import SearchCrashed
from sizeup.measurement import count_flops, count_params, probe_latency_ms
from sizeup.selection.constraints import describe, excess, violations
from sizeup.selection.private import private_run, private_variant, why_not
from sizeup.selection.space import suggest
from sizeup.selection.validation import ValidationPlan, fold_se
from sizeup.task import Task
from sizeup.training import Callback, FitResult, Objective, TrainingDiverged, evaluate, fit
from sizeup.training.run import example_inputs, resolve_config, serving_device

__all__ = ["SearchContext", "run_trial", "guarded", "EXPECTED_FAILURES", "ERRORS_DIR", "POST_TRAIN_SECONDS"]

EXPECTED_FAILURES = (TrainingDiverged, torch.OutOfMemoryError, MemoryError)
ERRORS_DIR = "errors"
FEDERATED_FIGURES = ("rounds", "bytes_per_round", "bytes_total", "rounds_to_target", "epsilon")  # a federated run's
POST_TRAIN_SECONDS = 1.5  # testing, measuring and saving a trained candidate, which its time limit leaves room for


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
    plan: ValidationPlan = field(default_factory=lambda: ValidationPlan("holdout"))
    folds: list[DataBundle] = field(default_factory=list)  # the bundles candidates train on (one for hold-out)
    search_augment: bool = False  # whether augmentation (on/off, strength) is a searched setting
    deadline: float | None = None  # time.monotonic() after which no candidate trains
    on_epoch: Callable[[int, dict[str, Any]], None] | None = None

    def __post_init__(self) -> None:
        self.folds = self.folds or [self.data]


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


def _record(trial: optuna.Trial, **attrs: Any) -> None:
    for k, v in attrs.items():
        trial.set_user_attr(k, v)


def _train_seconds(ctx: SearchContext) -> float | None:
    """This trial's training time: its share of the budget, and never past the deadline."""
    seconds = ctx.trial_seconds
    if ctx.deadline is not None:
        seconds = min(seconds or math.inf, max(1.0, ctx.deadline - time.monotonic() - POST_TRAIN_SECONDS))
    return seconds


def _fit_folds(trial: optuna.Trial, ctx: SearchContext, first: torch.nn.Module, build_fold: Callable[[], torch.nn.Module],
               settings: dict[str, Any]) -> tuple[list[torch.nn.Module], list[FitResult], _PruneOnValidation]:
    """Train on every fold; the pruner watches the first fold only (a candidate that survives it is worth the rest)."""
    seconds, k = _train_seconds(ctx), len(ctx.folds)
    pruner = _PruneOnValidation(trial, ctx)
    models, results = [], []
    for i, fold in enumerate(ctx.folds):
        model = first if i == 0 else build_fold()
        config, plugin = private_run(ctx.task, resolve_config(ctx.task, fold.info, epochs=ctx.max_epochs,
                                                              max_seconds=None if seconds is None else seconds / k,
                                                              **settings))
        results.append(_fitter(ctx)(model, fold, config, metric=ctx.metric, callbacks=[pruner] if i == 0 else [],
                                    **({"plugin": plugin} if plugin is not None else {})))
        models.append(model)
        if pruner.pruned_at is not None:
            break
    return models, results, pruner


def _fitter(ctx: SearchContext) -> Callable[..., FitResult]:
    """The training procedure: the one loop, or federated averaging over simulated clients under ``[federated]``."""
    if ctx.task.federated is None:
        return fit
    from sizeup.federated import fit_federated

    return functools.partial(fit_federated, spec=ctx.task.federated)


def _validation_figures(ctx: SearchContext, models: list[torch.nn.Module], results: list[FitResult]) -> dict[str, Any]:
    """The candidate's validation score: the fold mean with its standard error, or the hold-out score with its own."""
    m = ctx.metric
    best = [next((h for h in r.history if h["epoch"] == r.best_epoch), r.history[-1]) for r in results]
    figures: dict[str, Any] = {"val_loss": statistics.fmean(h["val_loss"] for h in best),
                               "best_epoch": round(statistics.fmean(r.best_epoch for r in results)),
                               "epochs": sum(r.epochs for r in results), "folds": len(results),
                               "train_seconds": sum(r.train_seconds for r in results)}
    if ctx.plan.kfold:
        scores = [r.best_val for r in results]
        figures.update({f"val_{m}": statistics.fmean(scores), f"val_{m}_se": fold_se(scores), "fold_scores": scores})
    else:
        info = ctx.data.info
        val = evaluate(models[0], ctx.data.val, Objective(info.task), n_classes=info.n_outputs, se_of=m)
        figures.update({f"val_{m}": results[0].best_val, f"val_{m}_se": val[f"{m}_se"]})
    return figures


def _test_figures(ctx: SearchContext, models: list[torch.nn.Module]) -> dict[str, float]:
    """Test quality: the mean over the fold models (one model under hold-out)."""
    info = ctx.data.info
    scores = [evaluate(mdl, ctx.data.test, Objective(info.task), n_classes=info.n_outputs) for mdl in models]
    return {f"test_{k}": statistics.fmean(s[k] for s in scores) for k in scores[0]}


def run_trial(trial: optuna.Trial, ctx: SearchContext) -> float:
    from sizeup.checkpoint import save_model
    from sizeup.measurement import measure, remeasure
    from sizeup.zoo import build

    family, knobs, settings = suggest(trial, ctx.families, augment=ctx.search_augment)
    info = ctx.data.info
    inputs = example_inputs(info, ctx.data.test, 256)

    knobs = private_variant(ctx.task, family, knobs)

    def build_fold() -> torch.nn.Module:
        torch.manual_seed(ctx.task.train.seed)
        return build(family, info, **knobs)

    model = build_fold()
    _record(trial, family=family, model=model.spec.describe(), **{k: settings[k] for k in ("augment", "augment_strength")
                                                                      if k in settings})
    # a classic model has no size or speed before it is fitted: its measured figures decide after training
    quick = {} if getattr(model, "fits_in_one_call", False) else _quick_figures(model, inputs, serving_device(ctx.task))
    _record(trial, **quick)
    not_private = why_not(ctx.task, model)
    if not_private:
        _record(trial, status="infeasible", reason=f"DP-SGD cannot train it: {not_private}")
        raise optuna.TrialPruned("not trainable under DP-SGD")
    broken = violations({k: v for k, v in ctx.limits.items() if k != "max_train_seconds"}, quick)
    if broken:
        _record(trial, status="infeasible", reason=describe(broken))
        _set_constraints(trial, ctx.limits, quick)
        raise optuna.TrialPruned("infeasible before training")
    with energy_meter() as training:
        models, results, pruner = _fit_folds(trial, ctx, model, build_fold, settings)
    _record(trial, train_energy_j=training.joules, energy_source=_energy_label(training))
    first = results[0]
    _record(trial, **{k: first.extra[k] for k in FEDERATED_FIGURES if k in first.extra})
    runs = [r.extra["privacy"] for r in results if "privacy" in r.extra]
    if runs:  # what each private run spent; the saved (first-fold) model is (epsilon, delta)-DP
        _record(trial, privacy_runs=runs, epsilon=runs[0]["epsilon"])
    _record(trial, history=[{k: h[k] for k in ("epoch", "train_loss", f"val_{ctx.metric}")} for h in first.history])
    if pruner.pruned_at is not None:
        epoch, value = pruner.pruned_at
        _record(trial, status="pruned", train_seconds=first.train_seconds, epochs=first.epochs,
                **{f"val_{ctx.metric}": first.best_val},
                reason=f"pruned at epoch {epoch}: val_{ctx.metric} {value:.4f} below its rung")
        raise optuna.TrialPruned()
    val = _validation_figures(ctx, models, results)
    m = measure(model, inputs, latency_budget_s=0.5, device=serving_device(ctx.task))
    if "max_latency_ms" in ctx.limits:  # a busy moment must not reject a model: time it again before rejecting
        m = remeasure(model, inputs, m, limit_ms=ctx.limits["max_latency_ms"], latency_budget_s=0.5)
    figures = {"params": m.params, "flops": m.flops, "latency_ms": m.latency_ms, "throughput": m.throughput,
               "memory_mb": m.memory_mb, "train_seconds": val["train_seconds"]}
    conditions = {"device": m.device, "latency_threads": m.latency_threads, "trained_on": first.extra.get("device"),
                  "load_average": list(m.load_average) if m.load_average else None,
                  "latency_attempts": m.latency_attempts}
    broken = violations(ctx.limits, figures)
    _record(trial, **{**val, **figures}, **_test_figures(ctx, models), **conditions, status="completed",
            feasible=not broken, energy_j_per_1k=_prediction_energy(model, inputs))
    _set_constraints(trial, ctx.limits, figures)
    if broken:
        _record(trial, reason="measured: " + describe(broken))
    save_model(model, info, ctx.out_dir / "trials" / str(trial.number),
               extra={"trial": trial.number, "train": settings, "val": val[f"val_{ctx.metric}"]})
    return val[f"val_{ctx.metric}"]


def _energy_label(meter) -> str:
    return meter.source if meter.measured else "estimated"  # costs.energy states the estimate's basis in docs/cost.md


def _prediction_energy(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], repeats: int = 5) -> float:
    """Joules per 1,000 predictions at the throughput batch (``costs.energy_meter``: measured or labelled estimate)."""
    from sizeup._device import module_device

    model.eval()
    inputs = tuple(t.to(module_device(model)) for t in inputs)
    try:
        with torch.inference_mode(), energy_meter() as meter:
            for _ in range(repeats):
                model(*inputs)
    finally:
        model.train()
    return 1000 * meter.joules_per(repeats * len(inputs[0]))


def guarded(ctx: SearchContext) -> Callable[[optuna.Trial], float]:
    """``run_trial`` for ``study.optimize``: an expected failure fails the trial with its reason (Optuna catches
    :data:`EXPECTED_FAILURES`); any other exception writes ``errors/trial-N.log`` and stops the search."""

    def objective(trial: optuna.Trial) -> float:
        try:
            return run_trial(trial, ctx)
        except optuna.TrialPruned:
            raise
        except EXPECTED_FAILURES as exc:
            _record(trial, status="failed", reason=f"{type(exc).__name__}: {exc}"[:300])
            raise
        except Exception as exc:  # noqa: BLE001 - a bug is reported, never recorded as a failed candidate
            path = ctx.out_dir / ERRORS_DIR / f"trial-{trial.number}.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"trial {trial.number}, params {trial.params}\n\n{traceback.format_exc()}", encoding="utf-8")
            model = trial.user_attrs.get("model") or trial.params.get("family", "?")
            raise SearchCrashed(f"trial {trial.number} ({model}) crashed: {type(exc).__name__}: {str(exc)[:200]}; "
                                f"the traceback is in {path}; finished trials are kept in the study") from exc

    return objective
