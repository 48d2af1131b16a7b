"""``--workers N``: N processes on this machine run trials of one study, sharing its SQLite file."""

from __future__ import annotations

import multiprocessing as mp
import os
from typing import Any, Callable

import optuna
import torch
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState

from sizeup.errors import SearchCrashed
from sizeup.selection.sampler import TrialSeededTPE, make_pruner
from sizeup.selection.study import storage_url
from sizeup.selection.trial import ERRORS_DIR, EXPECTED_FAILURES, SearchContext, guarded

__all__ = ["optimize_in_parallel"]

_COUNTED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def _threads(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // workers)


def _worker(task_json: dict[str, Any], base_dir: str, ctx_args: dict[str, Any], study_name: str, seed: int,
            max_trials: int | None, threads: int) -> None:
    from pathlib import Path

    from sizeup.data import load_data
    from sizeup.selection.validation import fold_bundles
    from sizeup.task import Task

    torch.set_num_threads(threads)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    task = Task.from_dict(task_json, base_dir=Path(base_dir))
    data = load_data(task)
    ctx = SearchContext(task=task, data=data, folds=fold_bundles(data, ctx_args["plan"], task.train.seed), **ctx_args)
    study = optuna.load_study(study_name=study_name, storage=storage_url(ctx.out_dir),
                              sampler=TrialSeededTPE(seed=seed), pruner=make_pruner(ctx.max_epochs))
    callbacks = [MaxTrialsCallback(max_trials, states=_COUNTED)] if max_trials else []
    callbacks.append(_StopAtDeadline(ctx.deadline))
    study.optimize(guarded(ctx), callbacks=callbacks, catch=EXPECTED_FAILURES)


class _StopAtDeadline:
    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        import time

        from sizeup.selection.budget import MIN_TRIAL_SECONDS

        if self.deadline is not None and self.deadline - time.monotonic() < MIN_TRIAL_SECONDS:
            study.stop()


def _on_worker_device(task_json: dict[str, Any], index: int) -> dict[str, Any]:
    """Worker ``index`` trains on its own GPU when the task trains on an unnumbered ``cuda`` (or ``auto``)."""
    from sizeup.measurement import worker_device

    return {**task_json, "train": {**task_json["train"], "device": worker_device(index, task_json["train"].get("device"))}}


def optimize_in_parallel(study: optuna.Study, ctx: SearchContext, *, workers: int, n_trials: int | None,
                         callbacks: list[Callable[..., None]]) -> None:
    """Run ``workers - 1`` spawned processes beside this one until the trial count or the time is used."""
    max_trials = None if n_trials is None else len(study.get_trials(deepcopy=False, states=_COUNTED)) + n_trials
    threads = _threads(workers)
    ctx_args = {"families": ctx.families, "limits": ctx.limits, "metric": ctx.metric, "out_dir": ctx.out_dir,
                "max_epochs": ctx.max_epochs, "trial_seconds": ctx.trial_seconds, "deadline": ctx.deadline,
                "plan": ctx.plan, "search_augment": ctx.search_augment}
    task_json = ctx.task.model_dump(mode="json")
    seed = study.sampler._base_seed if isinstance(study.sampler, TrialSeededTPE) else 0
    spawn = mp.get_context("spawn")
    procs = [spawn.Process(target=_worker, args=(_on_worker_device(task_json, i + 1), str(ctx.task.base_dir), ctx_args,
                                                 study.study_name, seed + 1000 * (i + 1), max_trials, threads),
                           daemon=True)
             for i in range(workers - 1)]
    for p in procs:
        p.start()
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        own = [MaxTrialsCallback(max_trials, states=_COUNTED)] if max_trials else []
        study.optimize(guarded(ctx), callbacks=[*own, *callbacks], catch=EXPECTED_FAILURES)
    finally:
        torch.set_num_threads(previous)
        for p in procs:
            p.join()
    crashed = [p for p in procs if p.exitcode not in (0, None)]
    if crashed:  # a worker stopped on a bug: its trial's traceback is in errors/
        logs = sorted((ctx.out_dir / ERRORS_DIR).glob("trial-*.log"))
        where = f"; the traceback is in {logs[-1]}" if logs else ""
        raise SearchCrashed(f"a search worker process stopped with exit code {crashed[0].exitcode}{where}")
