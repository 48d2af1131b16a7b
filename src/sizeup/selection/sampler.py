"""The sampler and pruner of every sizeup study.

TPE (Bergstra et al. 2011) with grouped multivariate modelling for the family-conditional space; it
reads each trial's constraint excesses (``Trial.set_constraint``) and prefers feasible regions.
Hyperband (Li et al. 2018) prunes on validation quality at epoch rungs: it hedges successive halving's aggressiveness across brackets, and Optuna's
benchmarks found TPE + Hyperband the strongest pair. Pruning needs a single objective (Optuna #3450),
so the study optimises quality alone; the cost objectives are known before training, kept as trial
attributes, and the Pareto front is computed over completed trials afterwards.
"""

from __future__ import annotations

import warnings
import zlib

import optuna
from optuna.samplers import TPESampler
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial

__all__ = ["TrialSeededTPE", "make_pruner"]


class TrialSeededTPE(TPESampler):
    """TPE whose randomness depends only on (seed, trial number, parameter).

    A search that was killed and resumed then samples exactly what the uninterrupted one would have.
    """

    def __init__(self, *, seed: int, n_startup_trials: int = 8) -> None:
        with warnings.catch_warnings():  # ``group`` is marked experimental; its behaviour is what we test
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            super().__init__(seed=seed, multivariate=True, group=True, n_startup_trials=n_startup_trials)
        self._base_seed = seed

    def _reseed(self, seed: int) -> None:
        # _rng / _random_sampler are TPESampler's own random states (Optuna 4-5)
        self._rng.rng.seed(seed)
        self._random_sampler._rng.rng.seed(seed)

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self._reseed(self._base_seed + trial.number)  # the relative (grouped) sample depends on the number only
        super().before_trial(study, trial)

    def sample_independent(self, study: optuna.Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> object:
        # Seeded by the parameter as well: a trial killed after drawing some of its parameters is re-queued
        # with them fixed, and its other draws must not shift along the random stream.
        self._reseed(zlib.crc32(f"{self._base_seed}:{trial.number}:{param_name}".encode()))
        return super().sample_independent(study, trial, param_name, param_distribution)


def make_pruner(max_epochs: int) -> optuna.pruners.BasePruner:
    return optuna.pruners.HyperbandPruner(min_resource=max(2, max_epochs // 10), max_resource=max_epochs,
                                          reduction_factor=3)
