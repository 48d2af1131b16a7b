"""The study on disk: ``runs/<name>/study.db`` (SQLite through Optuna's storage), resumable after any stop."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from sizeup.errors import SizeupError
from sizeup.selection.sampler import TrialSeededTPE, make_pruner

__all__ = ["open_study", "requeue_interrupted", "SearchLock", "storage_url"]

STUDY_DB = "study.db"


def storage_url(out_dir: Path) -> str:
    return f"sqlite:///{(out_dir / STUDY_DB).resolve()}"


def _storage(out_dir: Path) -> optuna.storages.RDBStorage:
    # A generous busy timeout lets parallel workers share one SQLite file without "database is locked".
    return optuna.storages.RDBStorage(storage_url(out_dir), engine_kwargs={"connect_args": {"timeout": 120}})


def open_study(out_dir: Path, *, name: str, direction: str, settings: dict[str, Any], seed: int, max_epochs: int) -> optuna.Study:
    """Create the study or load it; a loaded study must have been started with the same settings."""
    out_dir.mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(
        storage=_storage(out_dir), study_name=name, direction=direction, load_if_exists=True,
        sampler=TrialSeededTPE(seed=seed), pruner=make_pruner(max_epochs),
    )
    saved = study.user_attrs.get("settings")
    if saved is None:
        study.set_user_attr("settings", settings)
    elif saved != settings:
        changed = sorted(k for k in set(saved) | set(settings) if saved.get(k) != settings.get(k))
        raise SizeupError(
            f"{out_dir / STUDY_DB} was started with other search settings ({', '.join(changed)} differ); "
            "restore them to resume, or pass --force to start a new search (the old run is kept aside)"
        )
    return study


def requeue_interrupted(study: optuna.Study) -> int:
    """Put trials left RUNNING by a killed search back in the queue, keeping their number and parameters."""
    storage = study._storage
    count = 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        storage.set_trial_state_values(trial._trial_id, state=TrialState.WAITING)
        count += 1
    return count


class SearchLock:
    """One search per run folder at a time (parallel workers are children of the one holding it)."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / ".search.lock"

    def __enter__(self) -> SearchLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            pid = self.path.read_text().strip()
            if pid.isdigit() and _alive(int(pid)):
                raise SizeupError(f"another search (pid {pid}) is running in {self.path.parent}; wait for it or stop it")
        self.path.write_text(str(os.getpid()))
        return self

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
