"""A stand-in for a search's trial function in the worker-loop tests: it draws parameters as a search does
(from a sampler seeded by trial number and parameter) and trains nothing, so the tests run in seconds.

``python toy_trials.py URL STUDY N [HOLD]`` runs a worker over trials 0..N-1; trial HOLD never finishes
(the test kills the worker there). ``python toy_trials.py URL STUDY N claim DONE_DIR`` only claims trials,
as fast as it can, and prints their numbers; it exits once every claimant has written its file in DONE_DIR.
"""

from __future__ import annotations

import sys
import time
import zlib

import optuna

from pathlib import Path

from sizeup.distributed import Plan, claim_next, open_storage, parse_storage, run_trials


class NumberSeeded(optuna.samplers.RandomSampler):
    """Random draws that depend only on (trial number, parameter), like sizeup's TrialSeededTPE."""

    def sample_independent(self, study, trial, param_name, param_distribution):
        self._rng.rng.seed(zlib.crc32(f"{trial.number}:{param_name}".encode()))
        return super().sample_independent(study, trial, param_name, param_distribution)


def objective(hold: int | None = None, pause: float = 0.0):
    def run(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        y = trial.suggest_int("y", 0, 100)
        if trial.number == hold:
            time.sleep(3600)
        time.sleep(pause)
        return x + y

    return run


def open_study(url: str, name: str) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna.load_study(study_name=name, storage=open_storage(parse_storage(url)), sampler=NumberSeeded())


def claim_all(study: optuna.Study, n: int, done_dir: Path, claimants: int = 2) -> list[int]:
    claimed = []
    while (got := claim_next(study, below=n, create=False)) is not None:
        claimed.append(got[0].number)
    (done_dir / f"{len(list(done_dir.iterdir()))}-{time.time_ns()}").touch()
    while len(list(done_dir.iterdir())) < claimants:  # alive until all are done: a dead claimant's trials are re-queued
        time.sleep(0.02)
    return claimed


if __name__ == "__main__":
    url, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if sys.argv[4:5] == ["claim"]:
        print(" ".join(map(str, claim_all(open_study(url, name), n, Path(sys.argv[5])))))
        sys.exit()
    hold = int(sys.argv[4]) if len(sys.argv) > 4 else None
    done = run_trials(open_study(url, name), objective(hold), plan=lambda: Plan(trials=n), poll=0.05)
    print(" ".join(map(str, done)))
