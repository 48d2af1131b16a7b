"""The ``search`` stage: open (or resume) the study, run trials under the budget, then rank, recommend and save.

The report is not written here: ``sizeup.api.search`` writes it from the run folder's files afterwards, and passes the
compressed variants in through ``extend``, so this stage imports neither compression nor report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Protocol

import optuna
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from sizeup._io import write_json
from sizeup.errors import SizeupError
from sizeup.selection.baselines import SecondWave, enqueue_baselines
from sizeup.selection.budget import MIN_TRIAL_SECONDS, Budget
from sizeup.selection.finish import finish
from sizeup.selection.leaderboard import leaderboard, pareto_front
from sizeup.selection.private import private_families
from sizeup.selection.recommend import Recommendation
from sizeup.selection.space import searchable_families
from sizeup.selection.study import SearchLock, open_study, requeue_interrupted, snapshot_study, study_exists
from sizeup.selection.trial import SearchContext
from sizeup.selection.validation import fold_bundles, plan_validation
from sizeup.selection.workers import check_backend, run_workers, write_deadline
from sizeup.task import TASK_METRICS, Task, parse_duration
from sizeup.training.metrics import METRICS, higher_is_better

__all__ = ["search", "SearchResult", "SearchProgress", "TASK_METRICS"]

DEFAULT_MAX_EPOCHS = 40
Extend = Callable[[pd.DataFrame, SearchContext], pd.DataFrame]


class SearchProgress(Protocol):
    def start(self, *, total: int | None, budget_s: float | None, done: int, plan: str = "") -> None: ...
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
    timing: dict[str, float] = field(default_factory=dict)  # data loading, trials and finishing, in seconds
    plan: str = ""  # the budget's plan, as one line


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


def _holdout_only(task: Task) -> str | None:
    """Why validation must be one hold-out split: every fold would be another private, or federated, run."""
    if task.privacy.enabled:
        return "[privacy] epsilon: k folds would be k private runs on the same rows"
    if task.federated is not None:
        return "[federated]: k folds would be k federated runs over the same clients"
    return None


def _augmentation(task: Task, data, families: list[str]) -> tuple[bool, bool | None]:
    """(whether augmentation is searched, the baselines' setting): searched unless the task fixes it."""
    from sizeup.training.augment import has_augmenter, neighbours_related
    from sizeup.zoo import get_family

    gradient = any(get_family(f).lr_range is not None for f in families)
    if task.train.augment is not None or not has_augmenter(data.info.input_kind) or not gradient:
        return False, None
    return True, neighbours_related(data.train.x)


def search(task: Task | str | Path, *, budget: str | float | None = None, trials: int | None = None,
           out: str | Path | None = None, force: bool = False, workers: int | None = None,
           max_epochs: int | None = None, trial_seconds: float | None = None, progress: SearchProgress | None = None,
           seed: int | None = None, export: bool = True, resume: bool = False, device: str | None = None,
           storage: str | None = None, backend: str = "processes", address: str | None = None,
           extend: Extend | None = None) -> SearchResult:
    """Search the model families that fit the task's data under a time budget and/or a trial count.

    Re-running on the same ``out`` folder resumes the study; ``force=True`` sets the old run aside;
    ``resume=True`` insists that there is a study to resume. ``device`` replaces ``[train] device``;
    ``workers`` defaults to one per visible GPU when training on ``cuda`` (or ``auto`` on a GPU machine).
    ``storage`` (a URL) keeps the study elsewhere than ``out/study.db``, for workers on other machines;
    ``backend="ray"`` runs the workers as Ray tasks on the cluster at ``address`` (default: a local one).
    ``extend(board, ctx)`` may add rows (compressed variants) before the recommendation.
    """
    from sizeup.data import load_data
    from sizeup.measurement import default_workers, resolve_device
    from sizeup.training.run import as_task, with_device

    task = with_device(as_task(task), device)
    resolve_device(task.train.device, what="--device")  # an absent GPU fails before the study is opened
    workers = default_workers(task.train.device) if workers is None else workers
    out_dir = Path(out) if out else Path("runs") / task.name
    if resume and force:
        raise SizeupError("resume=True and force=True contradict each other (--resume, --force); choose one")
    if resume and not study_exists(out_dir, task.name, storage):
        raise SizeupError(f"--resume: there is no study in {out_dir} to resume; drop --resume to start one")
    if workers < 1:
        raise SizeupError(f"--workers must be at least 1, got {workers}")
    check_backend(storage=storage, backend=backend, address=address)
    loading = time.monotonic()
    data = load_data(task)
    timing = {"data_seconds": time.monotonic() - loading}
    families = private_families(task, searchable_families(data.info.input_kind, task.search.families))
    metric = _metric(task, data.info.task, data.info.metric)
    higher = higher_is_better(metric)
    budget_s = None if (budget is None and trials is not None) else parse_duration(budget or task.budget.time, what="--budget")
    trials = trials or task.budget.trials
    max_epochs = max_epochs or DEFAULT_MAX_EPOCHS
    seed = task.train.seed if seed is None else seed
    plan = plan_validation(data, task.search.validation, holdout_because=_holdout_only(task))
    search_augment, augment = _augmentation(task, data, families)
    clock = Budget(budget_s, retrain=plan.kfold or task.search.retrain_on_full, folds=plan.folds,
                   compress=len(task.search.compress) * 2)
    if trial_seconds is None and budget_s is not None:
        # every family's baseline fits in half the time left for training; the sampler's trials use the other half
        trial_seconds = min(max((budget_s - clock.finishing) / (2 * len(families)), 10.0), 600.0)
    limits = task.constraints.active()
    aside = _set_aside(out_dir) if force else None
    settings = {"families": families, "metric": metric, "max_epochs": max_epochs, "limits": limits,
                "data": task.data.model_dump(mode="json"), "validation": [plan.kind, plan.folds], "augment": search_augment,
                **({"privacy": task.privacy.model_dump(mode="json")} if task.privacy.enabled else {})}
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # sizeup reports trials itself
    with SearchLock(out_dir):
        study = open_study(out_dir, name=task.name, direction="maximize" if higher else "minimize",
                           settings=settings, seed=seed, max_epochs=max_epochs, storage=storage)
        requeue_interrupted(study)
        if not study.get_trials(deepcopy=False):
            enqueue_baselines(study, families, data.info.input_kind, augment=augment)
        ctx = SearchContext(task=task, data=data, families=families, limits=limits, metric=metric, out_dir=out_dir,
                            max_epochs=max_epochs, trial_seconds=trial_seconds, plan=plan,
                            folds=fold_bundles(data, plan, seed), search_augment=search_augment,
                            on_epoch=progress.epoch if progress else None)
        started = time.monotonic()
        second = SecondWave(families, data.info.input_kind, augment=bool(augment), budget_s=budget_s,
                            started=clock.started, max_trials=trials) if search_augment else None
        _run(study, ctx, trials=trials, clock=clock, workers=workers, progress=progress, extra=[second] if second else [],
             storage=storage, backend=backend, address=address)
        timing["trials_seconds"] = time.monotonic() - started
        snapshot_study(study, out_dir, storage)  # the run folder's study.db: what report, compress, explain read
        finishing = time.monotonic()
        board = leaderboard(study, metric, higher_is_better=higher)
        if extend is not None:
            board = extend(board, ctx)
        rec, _ = finish(study, ctx, board, higher=higher, export=export)
        timing["finishing_seconds"] = time.monotonic() - finishing
    if aside is not None:
        write_json(out_dir / "previous_run.json", {"set_aside_to": str(aside)})
    front = pareto_front(board, f"val_{metric}", "latency_ms", higher_is_better=higher)
    front_params = pareto_front(board, f"val_{metric}", "params", higher_is_better=higher)
    return SearchResult(board, front, front_params, rec, metric, out_dir, study, timing, clock.describe())


def _finished(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)))


class _Clock:
    """An Optuna callback: moves the trials' deadline (in the study's plan, which every worker reads) as the
    finishing estimate changes, so no candidate starts when too little training time is left for it."""

    def __init__(self, ctx: SearchContext, clock: Budget, higher: bool) -> None:
        self.ctx, self.clock, self.higher, self.best = ctx, clock, higher, None

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if trial.state == TrialState.COMPLETE and trial.value is not None and (
                self.best is None or (trial.value > self.best if self.higher else trial.value < self.best)):
            self.best = trial.value
            self.clock.observe_best(trial.user_attrs.get("train_seconds"))
            write_deadline(study, self.clock.deadline)


def _run(study: optuna.Study, ctx: SearchContext, *, trials: int | None, clock: Budget, workers: int,
         progress: SearchProgress | None, extra: list[Callable[..., None]], **where: Any) -> None:
    remaining = None if trials is None else max(0, trials - _finished(study))
    if remaining == 0 or clock.left() < MIN_TRIAL_SECONDS:
        return
    ctx.deadline = clock.deadline
    if progress:
        progress.start(total=trials, budget_s=clock.seconds, done=_finished(study), plan=clock.describe())
    timer = _Clock(ctx, clock, study.direction == optuna.study.StudyDirection.MAXIMIZE)
    callbacks = [timer, *extra, *([progress.trial_done] if progress else [])]
    try:
        run_workers(study, ctx, workers=workers, trials=trials, deadline=clock.deadline, callbacks=callbacks, **where)
    finally:
        if progress:
            progress.stop()
