"""The ``search`` verb: open (or resume) the study, run trials under the budget, then rank, recommend, save."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import optuna
import pandas as pd
from optuna.trial import TrialState

from sizeup._io import write_json
from sizeup.errors import SizeupError
from sizeup.compression.search_rows import add_compressed_rows
from sizeup.selection.leaderboard import leaderboard, pareto_front
from sizeup.selection.recommend import Recommendation, recommend
from sizeup.selection.space import default_params, searchable_families
from sizeup.selection.study import SearchLock, open_study, requeue_interrupted, snapshot_study, study_exists
from sizeup.selection.trial import SearchContext
from sizeup.selection.workers import check_backend, run_workers
from sizeup.task import Task, parse_duration
from sizeup.training.metrics import METRICS, higher_is_better

__all__ = ["search", "SearchResult", "SearchProgress"]

DEFAULT_MAX_EPOCHS = 40
TASK_METRICS = {"classification": {"accuracy", "macro_f1", "loss"}, "regression": {"rmse", "mae", "loss"},
                "language-modeling": {"perplexity", "token_accuracy", "loss"},
                "seq2seq": {"sequence_accuracy", "token_accuracy", "perplexity", "loss"}}


class SearchProgress(Protocol):
    def start(self, *, total: int | None, budget_s: float | None, done: int) -> None: ...
    def epoch(self, trial: int, logs: dict[str, Any]) -> None: ...
    def trial_done(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None: ...
    def stop(self) -> None: ...


@dataclass
class SearchResult:
    """What the search found: every candidate, the Pareto fronts, and the recommendation."""

    leaderboard: pd.DataFrame
    pareto: pd.DataFrame
    pareto_params: pd.DataFrame
    recommended: Recommendation
    metric: str
    out_dir: Path
    study: optuna.Study


def _metric(task: Task, info_task: str, default: str) -> str:
    metric = task.search.metric or default
    if metric not in METRICS or metric not in TASK_METRICS[info_task]:
        raise SizeupError(f"[search] metric = {metric!r} does not apply to {info_task}; "
                          f"choose one of: {', '.join(sorted(TASK_METRICS[info_task]))}")
    return metric


def _set_aside(out_dir: Path) -> Path | None:
    """--force: keep the previous run, renamed with a timestamp, and start clean."""
    if not out_dir.exists() or not any(out_dir.iterdir()):
        return None
    aside = out_dir.with_name(f"{out_dir.name}.{datetime.now():%Y%m%d-%H%M%S}")
    out_dir.rename(aside)
    return aside


def search(task: Task | str | Path, *, budget: str | float | None = None, trials: int | None = None,
           out: str | Path | None = None, force: bool = False, workers: int = 1, max_epochs: int | None = None,
           trial_seconds: float | None = None, progress: SearchProgress | None = None, seed: int | None = None,
           export: bool = True, resume: bool = False, storage: str | None = None, backend: str = "processes",
           address: str | None = None) -> SearchResult:
    """Search the model families that fit the task's data under a time budget and/or a trial count.

    Re-running on the same ``out`` folder resumes the study; ``force=True`` sets the old run aside;
    ``resume=True`` insists that there is a study to resume. ``storage`` (a URL) keeps the study elsewhere
    than ``out/study.db``, for workers on other machines; ``backend="ray"`` runs the workers as Ray tasks
    on the cluster at ``address`` (default: a local one).
    """
    from sizeup.data import load_data
    from sizeup.training.run import as_task

    task = as_task(task)
    out_dir = Path(out) if out else Path("runs") / task.name
    if resume and not study_exists(out_dir, task.name, storage):
        raise SizeupError(f"--resume: there is no study in {out_dir} to resume; drop --resume to start one")
    if workers < 1:
        raise SizeupError(f"--workers must be at least 1, got {workers}")
    check_backend(storage=storage, backend=backend, address=address)
    data = load_data(task)
    families = searchable_families(data.info.input_kind, task.search.families)
    metric = _metric(task, data.info.task, data.info.metric)
    higher = higher_is_better(metric)
    budget_s = None if (budget is None and trials is not None) else parse_duration(budget or task.budget.time, what="--budget")
    trials = trials or task.budget.trials
    max_epochs = max_epochs or DEFAULT_MAX_EPOCHS
    if trial_seconds is None and budget_s is not None:
        # every family's baseline fits in half the budget; the sampler's trials use the other half
        trial_seconds = min(max(budget_s / (2 * len(families)), 10.0), 600.0)
    limits = task.constraints.active()
    aside = _set_aside(out_dir) if force else None
    seed = task.train.seed if seed is None else seed
    settings = {"families": families, "metric": metric, "max_epochs": max_epochs, "limits": limits,
                "data": task.data.model_dump(mode="json")}
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # sizeup reports trials itself
    with SearchLock(out_dir):
        study = open_study(out_dir, name=task.name, direction="maximize" if higher else "minimize",
                           settings=settings, seed=seed, max_epochs=max_epochs, storage=storage)
        requeue_interrupted(study)
        if not study.get_trials(deepcopy=False):
            _enqueue_defaults(study, families, data.info.input_kind)
        ctx = SearchContext(task=task, data=data, families=families, limits=limits, metric=metric, out_dir=out_dir,
                            max_epochs=max_epochs, trial_seconds=trial_seconds,
                            on_epoch=progress.epoch if progress else None)
        _run(study, ctx, trials=trials, budget_s=budget_s, workers=workers, progress=progress,
             storage=storage, backend=backend, address=address)
        snapshot_study(study, out_dir, storage)  # the run folder's study.db: what report, compress, explain read
        result = _finish(study, ctx, higher, export=export)
    if aside is not None:
        write_json(out_dir / "previous_run.json", {"set_aside_to": str(aside)})
    return result


def _enqueue_defaults(study: optuna.Study, families: list[str], input_kind: str) -> None:
    """Start from every family's default config: one baseline per family, trained without pruning,
    so the leaderboard compares families fairly before the sampler narrows in."""
    from sizeup.training.config import default_config
    from sizeup.zoo import get_family

    lr = default_config(input_kind).lr
    for family in families:
        defaults = dataclasses.asdict(get_family(family).config_cls())
        study.enqueue_trial(default_params(family, defaults, lr), user_attrs={"baseline": True}, skip_if_exists=True)


def _finished(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)))


def _run(study: optuna.Study, ctx: SearchContext, *, trials: int | None, budget_s: float | None, workers: int,
         progress: SearchProgress | None, **where: Any) -> None:
    remaining = None if trials is None else max(0, trials - _finished(study))
    if remaining == 0:
        return
    ctx.deadline = None if budget_s is None else time.monotonic() + budget_s
    if progress:
        progress.start(total=trials, budget_s=budget_s, done=_finished(study))
    callbacks = [progress.trial_done] if progress else []
    try:
        run_workers(study, ctx, workers=workers, trials=trials, budget_s=budget_s, callbacks=callbacks, **where)
    finally:
        if progress:
            progress.stop()


def _finish(study: optuna.Study, ctx: SearchContext, higher: bool, *, export: bool) -> SearchResult:
    from sizeup.checkpoint import load_model
    from sizeup.selection.export import copy_best, export_onnx
    from sizeup.training.run import example_inputs

    metric, out = ctx.metric, ctx.out_dir
    board = leaderboard(study, metric, higher_is_better=higher)
    board = add_compressed_rows(board, ctx, higher_is_better=higher)  # [search] compress variants
    front = pareto_front(board, f"val_{metric}", "latency_ms", higher_is_better=higher)
    front_params = pareto_front(board, f"val_{metric}", "params", higher_is_better=higher)
    rec = recommend(board, ctx.limits, metric, higher_is_better=higher)
    baseline = ctx.data.info.notes.get("baseline")
    if baseline and rec.row and rec.row.get("val_perplexity") is not None:
        from sizeup.data.bigram import versus_baseline

        rec.reasons.append(versus_baseline(baseline, rec.row["val_perplexity"]))
    board.to_csv(out / "leaderboard.csv", index=False)
    front.to_csv(out / "pareto.csv", index=False)
    extra: dict[str, Any] = {}
    if rec.trial is not None:
        trial_dir = out / "trials" / str(rec.trial)
        rec.model = load_model(trial_dir)
        copy_best(trial_dir, out / "best")
        if ctx.task.search.retrain_on_full:
            extra["retrained"] = _retrain(study, ctx, rec, trial_dir)
        if export:
            extra.update(export_onnx(rec.model, example_inputs(ctx.data.info, ctx.data.test, 8), out / "best" / "model.onnx"))
    write_json(out / "recommendation.json", {"trial": rec.trial, "feasible": rec.feasible, "headline": rec.headline,
                                             "reasons": rec.reasons, "metric": metric, "constraints": ctx.limits,
                                             "candidate": rec.row, **extra})
    result = SearchResult(board, front, front_params, rec, metric, out, study)
    from sizeup.report import write_report

    write_report(out, data=ctx.data)
    return result


def _retrain(study: optuna.Study, ctx: SearchContext, rec: Recommendation, trial_dir: Path) -> dict[str, Any]:
    """Retrain the recommended configuration on train+val and make it the model in ``best/``."""
    from sizeup._io import read_json
    from sizeup.checkpoint import save_model
    from sizeup.selection.retrain import retrain_on_full

    attrs = study.trials[rec.trial].user_attrs
    settings = read_json(trial_dir / "config.json").get("train", {})
    rec.model, figures = retrain_on_full(rec.model, ctx.data, ctx.task, settings=settings,
                                         epochs=int(attrs.get("best_epoch", attrs.get("epochs", 1))), metric=ctx.metric)
    save_model(rec.model, ctx.data.info, ctx.out_dir / "best", extra={"trial": rec.trial, "train": settings, **figures})
    return figures
