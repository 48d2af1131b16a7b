"""The study's sampler: its draws depend on (seed, trial number, parameter) only, so resuming is exact."""

from __future__ import annotations

import optuna
from optuna.trial import TrialState

from sizeup.selection.sampler import TrialSeededTPE
from sizeup.selection.study import requeue_interrupted


def _suggest(trial: optuna.Trial) -> dict:
    family = trial.suggest_categorical("family", ["mlp", "cnn"])
    return {"family": family, "width": trial.suggest_categorical(f"{family}.width", [16, 32, 64, 128, 256, 512]),
            "depth": trial.suggest_int(f"{family}.depth", 1, 4), "lr": trial.suggest_float(f"{family}.lr", 1e-4, 1e-1, log=True)}


def _study() -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(direction="maximize", sampler=TrialSeededTPE(seed=3))


def _objective(trial: optuna.Trial) -> float:
    p = _suggest(trial)
    return p["width"] * 1e-3 + p["depth"] * 1e-2 - abs(p["lr"] - 1e-2)


def test_a_trial_killed_between_two_draws_resumes_to_the_same_parameters():
    straight = _study()
    straight.optimize(_objective, n_trials=6)

    killed = _study()
    killed.optimize(_objective, n_trials=3)
    trial = killed.ask()  # trial 3 draws its family, then the process dies: it stays RUNNING with one param
    trial.suggest_categorical("family", ["mlp", "cnn"])
    assert requeue_interrupted(killed) == 1
    killed.optimize(_objective, n_trials=3)

    assert [t.params for t in killed.trials] == [t.params for t in straight.trials]
    assert all(t.state == TrialState.COMPLETE for t in killed.trials)
