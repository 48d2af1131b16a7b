"""The study: ``runs/<name>/study.db`` (SQLite through Optuna's storage) by default, or the storage a
``--storage`` URL names (PostgreSQL, MySQL, a journal file); resumable after any stop, shared by any
number of workers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import optuna

from sizeup.distributed import open_storage, parse_storage, requeue_stale
from sizeup.distributed.heartbeat import pid_alive
from sizeup.errors import SizeupError
from sizeup.selection.sampler import TrialSeededTPE, make_pruner

__all__ = ["open_study", "load_shared_study", "study_exists", "requeue_interrupted", "snapshot_study", "SearchLock",
           "storage_url"]

STUDY_DB = "study.db"
SNAPSHOT_OF = "snapshot_of"  # set in a run folder's study.db that copies a study kept in another storage


def storage_url(out_dir: Path) -> str:
    return f"sqlite:///{(out_dir / STUDY_DB).resolve()}"


def _storage(out_dir: Path, storage: str | None) -> optuna.storages.BaseStorage:
    return open_storage(parse_storage(storage or storage_url(out_dir)))


def _where(out_dir: Path, storage: str | None) -> str:
    from sizeup.distributed import describe_url

    return str(out_dir / STUDY_DB) if storage is None else describe_url(storage)


def study_exists(out_dir: Path, name: str, storage: str | None = None) -> bool:
    """Whether a study named ``name`` is there to resume (the default SQLite file is not created to find out)."""
    if storage is None and not (out_dir / STUDY_DB).is_file():
        return False
    return name in optuna.get_all_study_names(_storage(out_dir, storage))


def open_study(out_dir: Path, *, name: str, direction: str, settings: dict[str, Any], seed: int, max_epochs: int,
               storage: str | None = None) -> optuna.Study:
    """Create the study or load it; a loaded study must have been started with the same settings."""
    out_dir.mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(
        storage=_storage(out_dir, storage), study_name=name, direction=direction, load_if_exists=True,
        sampler=TrialSeededTPE(seed=seed), pruner=make_pruner(max_epochs),
    )
    if storage is None and study.user_attrs.get(SNAPSHOT_OF):
        raise SizeupError(f"{out_dir / STUDY_DB} is a copy of the study in {study.user_attrs[SNAPSHOT_OF]}; pass "
                          f"--storage with that URL to resume it (or --force to start a new search here)")
    saved = study.user_attrs.get("settings")
    if saved is None:
        study.set_user_attr("settings", settings)
    elif saved != settings:
        changed = sorted(k for k in set(saved) | set(settings) if saved.get(k) != settings.get(k))
        raise SizeupError(
            f"{_where(out_dir, storage)} was started with other search settings ({', '.join(changed)} differ); "
            "restore them to resume, or pass --force to start a new search (the old run is kept aside)"
        )
    return study


def load_shared_study(out_dir: Path, *, name: str, storage: str, seed: int | None = None) -> optuna.Study:
    """Join a study a search started (``sizeup worker``); its settings and plan say what to run."""
    opened = _storage(out_dir, storage)
    try:
        probe = optuna.load_study(study_name=name, storage=opened)
    except KeyError:
        raise SizeupError(f"there is no study named {name!r} in {_where(out_dir, storage)}; start it with "
                          f"`sizeup search TASK --storage {_where(out_dir, storage)}`, then start workers") from None
    settings = probe.user_attrs.get("settings") or {}
    plan = probe.user_attrs.get("plan") or {}
    seed = plan.get("seed", 0) if seed is None else seed
    return optuna.load_study(study_name=name, storage=opened, sampler=TrialSeededTPE(seed=seed),
                             pruner=make_pruner(int(settings.get("max_epochs", 40))))


def snapshot_study(study: optuna.Study, out_dir: Path, storage: str | None) -> None:
    """A study kept elsewhere (``--storage``) is copied into the run folder's ``study.db``, so the folder holds
    everything ``sizeup report``, ``compress`` and ``explain`` read; the copy names where the study lives."""
    from sizeup._io import atomic_path
    from sizeup.distributed import describe_url

    if storage is None or parse_storage(storage).path == (out_dir / STUDY_DB).resolve():
        return
    with atomic_path(out_dir / STUDY_DB) as tmp:
        url = f"sqlite:///{tmp.resolve()}"
        optuna.copy_study(from_study_name=study.study_name, from_storage=study._storage, to_storage=url)
        copy = optuna.load_study(study_name=study.study_name, storage=url)
        copy.set_user_attr(SNAPSHOT_OF, describe_url(storage))
        copy._storage.remove_session()  # closes its connection before the file is moved into place
        copy._storage._backend.engine.dispose()


def requeue_interrupted(study: optuna.Study) -> int:
    """Put trials left RUNNING by a killed worker back in the queue, keeping their number and parameters.

    Only trials whose worker is gone (``sizeup.distributed.requeue_stale``: its process has died on this
    machine, or its heartbeat is older than the grace period) are taken: other workers may share the study.
    """
    return len(requeue_stale(study))


class SearchLock:
    """One search per run folder at a time (its local workers are its children; ``sizeup worker`` processes
    that join the study do not take the lock)."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / ".search.lock"

    def __enter__(self) -> SearchLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            pid = self.path.read_text().strip()
            if pid.isdigit() and pid_alive(int(pid)):
                raise SizeupError(f"another search (pid {pid}) is running in {self.path.parent}; wait for it or stop it")
        self.path.write_text(str(os.getpid()))
        return self

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)

