"""Where a search's trials run: this process, ``--workers N`` local processes, Ray tasks (``--backend ray``),
or ``sizeup worker`` processes started by hand on any machine. All of them claim trials of the one study.

The search writes the study's plan (how many trials, until when) and reserves numbered slots; every worker
runs ``sizeup.distributed.run_trials`` over the study with the same trial function, ``guarded(run_trial)``: an
expected failure (divergence, out of memory) fails its trial, any other exception stops the worker and the search. A worker
that dies leaves a trial whose heartbeat stops; the next worker to look re-queues it, and it runs again under
its own number with the parameters it had drawn.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import optuna
import torch

from sizeup.distributed import (Plan, join_processes, parse_storage, read_plan, reserve_slots, run_trials,
                                start_processes, write_plan)
from sizeup.distributed.heartbeat import host_id
from sizeup.errors import SearchCrashed, SizeupError
from sizeup.selection.budget import MIN_TRIAL_SECONDS
from sizeup.selection.sampler import TrialSeededTPE
from sizeup.selection.study import load_shared_study, storage_url
from sizeup.selection.trial import ERRORS_DIR, EXPECTED_FAILURES, SearchContext, guarded
from sizeup.selection.validation import ValidationPlan, fold_bundles

__all__ = ["run_workers", "check_backend", "work", "WorkResult", "WorkerSpec", "worker_main", "write_deadline",
           "BACKENDS"]

BACKENDS = ("processes", "ray")


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker process or Ray task needs to join the study (picklable, plain values)."""

    task: dict[str, Any]
    base_dir: str
    out_dir: str
    storage: str
    study: str
    threads: int
    driver_host: str


@dataclass
class WorkResult:
    """What ``sizeup worker`` did: the trials it finished, and the finished search's result with ``report``."""

    trials: list[int]
    out_dir: Path
    study: optuna.Study
    search: Any = None


def _threads(workers: int, cpus: float | None = None) -> int:
    """Each worker's share of a cluster's CPUs, or of this machine's, but never more threads than this process
    was given (``OMP_NUM_THREADS=1`` makes every local worker single-threaded)."""
    if cpus is not None:
        return max(1, int(cpus // workers))
    return max(1, min(torch.get_num_threads(), (os.cpu_count() or 1) // workers))


def _plan_reader(study: optuna.Study) -> Callable[[], Plan]:
    # a study without a plan has only its existing trials to run
    return lambda: read_plan(study) or Plan(trials=len(study.get_trials(deepcopy=False)))


def _plan_deadline(deadline: float | None) -> float | None:
    """The plan's deadline (Unix time after which no trial starts) for a training deadline in ``time.monotonic()``:
    a trial needs at least ``MIN_TRIAL_SECONDS`` of training to be worth starting."""
    return None if deadline is None else time.time() + (deadline - time.monotonic()) - MIN_TRIAL_SECONDS


def _training_deadline(plan: Plan | None) -> float | None:
    """This process's ``time.monotonic()`` after which no candidate trains, from the study's plan."""
    if plan is None or plan.deadline is None:
        return None
    return time.monotonic() + (plan.deadline + MIN_TRIAL_SECONDS - time.time())


def write_deadline(study: optuna.Study, deadline: float | None) -> None:
    """Move the study's deadline (the search's finishing estimate changed); every worker reads it before each trial."""
    plan = read_plan(study)
    if plan is not None and deadline is not None:
        write_plan(study, dataclasses.replace(plan, deadline=_plan_deadline(deadline)))


def _loop(study: optuna.Study, ctx: SearchContext, callbacks: list[Callable[..., None]]) -> list[int]:
    plan, run = _plan_reader(study), guarded(ctx)

    def objective(trial: optuna.Trial) -> float:
        ctx.deadline = _training_deadline(plan())
        return run(trial)

    return run_trials(study, objective, plan=plan, callbacks=callbacks, catch=EXPECTED_FAILURES)


def _context(task, data, study: optuna.Study, out_dir: Path, on_epoch=None) -> SearchContext:
    """The search's context, rebuilt from what the study holds: its settings (families, limits, the validation
    plan) and its plan (the seed that fixes the folds, the trials' time)."""
    settings, plan = study.user_attrs["settings"], read_plan(study)
    kind, folds = settings.get("validation", ["holdout", 1])
    validation = ValidationPlan(kind, folds)
    return SearchContext(task=task, data=data, families=settings["families"], limits=settings["limits"],
                         metric=settings["metric"], out_dir=out_dir, max_epochs=settings["max_epochs"],
                         trial_seconds=plan.trial_seconds if plan else None, deadline=_training_deadline(plan),
                         plan=validation, folds=fold_bundles(data, validation, plan.seed if plan else 0),
                         search_augment=bool(settings.get("augment")), on_epoch=on_epoch)


def worker_main(spec: WorkerSpec) -> dict[str, Any]:
    """A worker process or Ray task: join the study, run trials until its plan is done, report what it ran.

    A worker on another machine than the search's saves its trials in a scratch folder and returns their
    checkpoint files, so the search's run folder holds every trial (Ray nodes do not share the search's disk).
    """
    import shutil
    import tempfile

    from sizeup.data import load_data
    from sizeup.task import Task

    torch.set_num_threads(spec.threads)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    task = Task.from_dict(spec.task, base_dir=Path(spec.base_dir))
    remote = host_id() != spec.driver_host
    out_dir = Path(tempfile.mkdtemp(prefix="sizeup-worker-")) if remote else Path(spec.out_dir)
    study = load_shared_study(out_dir, name=spec.study, storage=spec.storage)
    try:
        done = _loop(study, _context(task, load_data(task), study, out_dir), [])
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the claimed trial was handed back
        done = []
    except SearchCrashed as exc:  # a bug: its traceback is in the run folder's errors/; the search reports it
        print(f"sizeup worker: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    files = _checkpoints(out_dir, done) if remote else {}
    if remote:
        shutil.rmtree(out_dir, ignore_errors=True)
    return {"host": host_id(), "trials": done, "checkpoints": files}


def _checkpoints(out_dir: Path, numbers: list[int]) -> dict[int, dict[str, bytes]]:
    files: dict[int, dict[str, bytes]] = {}
    for n in numbers:
        folder = out_dir / "trials" / str(n)
        if folder.is_dir():
            files[n] = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    return files


def _store_checkpoints(out_dir: Path, results: list[Any]) -> None:
    from sizeup._io import atomic_path

    for res in results:
        for n, files in (res.get("checkpoints", {}) if isinstance(res, dict) else {}).items():
            for name, blob in files.items():
                path = out_dir / "trials" / str(n) / name
                if not path.exists():
                    with atomic_path(path) as tmp:
                        tmp.write_bytes(blob)


def check_backend(*, storage: str | None, backend: str, address: str | None) -> None:
    """Check ``--storage``, ``--backend`` and ``--address`` before anything is loaded or written."""
    if backend not in BACKENDS:
        raise SizeupError(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if address is not None and backend != "ray":
        raise SizeupError(f"--address {address!r} names a Ray cluster; add --backend ray, or drop --address")
    if storage is not None:
        parse_storage(storage)


def run_workers(study: optuna.Study, ctx: SearchContext, *, workers: int, trials: int | None, deadline: float | None,
                callbacks: list[Callable[..., None]], storage: str | None = None, backend: str = "processes",
                address: str | None = None) -> None:
    """Run the search's trials on ``workers`` workers of ``backend`` until ``trials`` are finished or training
    time ends at ``deadline`` (``time.monotonic()``); this process runs one of the local workers, or watches the
    Ray tasks."""
    check_backend(storage=storage, backend=backend, address=address)
    seed = study.sampler._base_seed if isinstance(study.sampler, TrialSeededTPE) else 0
    write_plan(study, Plan(trials=trials, deadline=_plan_deadline(deadline), trial_seconds=ctx.trial_seconds, seed=seed))
    reserve_slots(study, trials)
    url = storage or storage_url(ctx.out_dir)
    if backend == "ray":
        _on_ray(study, ctx, workers=workers, address=address, url=url, callbacks=callbacks)
    else:
        _in_processes(study, ctx, workers=workers, url=url, callbacks=callbacks)


def _spec(ctx: SearchContext, study: optuna.Study, url: str, threads: int, index: int = 0) -> WorkerSpec:
    """Worker ``index``'s spec; it trains on its own GPU when the task trains on an unnumbered ``cuda`` (or ``auto``)."""
    from sizeup._device import worker_device

    task = ctx.task.model_dump(mode="json")
    task["train"] = {**task["train"], "device": worker_device(index, task["train"].get("device"))}
    return WorkerSpec(task=task, base_dir=str(ctx.task.base_dir), out_dir=str(ctx.out_dir.resolve()), storage=url,
                      study=study.study_name, threads=threads, driver_host=host_id())


def _in_processes(study: optuna.Study, ctx: SearchContext, *, workers: int, url: str,
                  callbacks: list[Callable[..., None]]) -> None:
    """``workers - 1`` spawned processes beside this one, one thread each of this machine's share. A worker that
    stops on a bug stops the search (its trial's traceback is in ``errors/``)."""
    threads = _threads(workers)
    procs = start_processes(worker_main, [(_spec(ctx, study, url, threads, i + 1),) for i in range(workers - 1)])
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        _loop(study, ctx, callbacks)
    except BaseException:
        for p in procs:
            p.terminate()
        raise
    finally:
        torch.set_num_threads(previous)
        codes = join_processes(procs)
    crashed = [c for c in codes if c not in (0, None)]
    if crashed:
        logs = sorted((ctx.out_dir / ERRORS_DIR).glob("trial-*.log"))
        where = f"; the traceback is in {logs[-1]}" if logs else ""
        raise SearchCrashed(f"a search worker process stopped with exit code {crashed[0]}{where}")


class _Watcher:
    """Reports trials that other workers finish to the search's callbacks (its progress bar)."""

    def __init__(self, study: optuna.Study, callbacks: list[Callable[..., None]]) -> None:
        self.study, self.callbacks = study, callbacks
        self.seen = {t.number for t in self._finished()}

    def _finished(self) -> list[optuna.trial.FrozenTrial]:
        return [t for t in self.study.get_trials(deepcopy=False) if t.state.is_finished()]

    def __call__(self) -> None:
        for t in sorted(self._finished(), key=lambda t: t.number):
            if t.number not in self.seen:
                self.seen.add(t.number)
                for cb in self.callbacks:
                    cb(self.study, t)


def _on_ray(study: optuna.Study, ctx: SearchContext, *, workers: int, address: str | None, url: str,
            callbacks: list[Callable[..., None]]) -> None:
    """``workers`` Ray tasks run the trials; this process watches, then finishes what a lost task left."""
    from sizeup.distributed.ray_backend import connect, disconnect, run_tasks

    cluster = connect(address, num_cpus=os.cpu_count())
    try:
        if cluster.nodes > 1 and not parse_storage(url).shared_across_machines:
            raise SizeupError(f"the Ray cluster has {cluster.nodes} nodes, which cannot all open the SQLite file "
                              f"{url}; pass --storage postgresql://... (or journal:PATH on a shared file system)")
        threads = _threads(workers, cluster.cpus)
        watch = _Watcher(study, callbacks)
        results = run_tasks(worker_main, [(_spec(ctx, study, url, threads),)] * workers, num_cpus=threads, on_wait=watch)
        _store_checkpoints(ctx.out_dir, results)
        _loop(study, ctx, [])  # a task that Ray gave up on left trials: they are re-queued and run here
        watch()
    finally:
        disconnect(cluster)


def work(task, *, storage: str, out: str | Path | None = None, report: bool = False, threads: int | None = None,
         progress: Any = None, export: bool = True, finish_with: Callable[..., Any] | None = None) -> WorkResult:
    """Join the study a search started in ``storage`` and run its trials until its plan is done.

    With ``report=True`` the worker then writes the leaderboard, recommendation and report of the study
    as it stands (the search's finishing step) into ``out`` (default ``runs/<task name>``), through ``finish_with``
    (default this stage's ``search``; ``sizeup.api.search`` adds the compressed rows and the HTML report).
    """
    from sizeup.data import load_data
    from sizeup.training.run import as_task

    task = as_task(task)
    out_dir = Path(out) if out else Path("runs") / task.name
    out_dir.mkdir(parents=True, exist_ok=True)
    parse_storage(storage)
    study = load_shared_study(out_dir, name=task.name, storage=storage)
    _check_same_task(task, study)
    if threads:
        torch.set_num_threads(threads)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    ctx = _context(task, load_data(task), study, out_dir, on_epoch=progress.epoch if progress else None)
    plan = read_plan(study)
    if progress:
        progress.start(total=plan.trials if plan else None, budget_s=_left(plan), done=_finished_count(study))
    try:
        done = _loop(study, ctx, [progress.trial_done] if progress else [])
    finally:
        if progress:
            progress.stop()
    result = WorkResult(done, out_dir, study)
    if report:
        from sizeup.selection._impl import search

        result.search = (finish_with or search)(task, storage=storage, out=out_dir, trials=max(1, _finished_count(study)),
                               max_epochs=study.user_attrs["settings"]["max_epochs"], export=export)
    return result


def _left(plan: Plan | None) -> float | None:
    return None if plan is None or plan.deadline is None else max(0.0, plan.deadline - time.time())


def _finished_count(study: optuna.Study) -> int:
    return sum(t.state.is_finished() for t in study.get_trials(deepcopy=False))


def _check_same_task(task, study: optuna.Study) -> None:
    settings = study.user_attrs.get("settings") or {}
    if read_plan(study) is None:
        raise SizeupError(f"study {study.study_name!r} has no plan (it was not started by `sizeup search` with this "
                          "version); run `sizeup search TASK --storage URL` once, then start workers")
    mine = {"data": task.data.model_dump(mode="json"), "limits": task.constraints.active()}
    differ = sorted(k for k, v in mine.items() if settings.get(k) != v)
    if differ:
        raise SizeupError(f"the task file's {' and '.join(differ)} differ from the study {study.study_name!r}'s; "
                          "start workers with the task file the search was started with")
