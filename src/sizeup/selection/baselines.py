"""The first trials of every search: each family's default configuration, trained without pruning, so the
leaderboard compares families fairly before the sampler narrows in.

Where augmentation is searched, the first wave uses the setting the data suggests (shifts only where neighbouring
positions vary together: ``training.augment.neighbours_related``), and a second wave retrains the best families of the
first with the other setting when the budget allows, so a wrong assumption about the data shows on the leaderboard.
"""

from __future__ import annotations

import dataclasses
import time

import optuna
from optuna.trial import FrozenTrial, TrialState

from sizeup.distributed.loop import fill_slot
from sizeup.selection.space import default_params

__all__ = ["enqueue_baselines", "SecondWave", "SECOND_WAVE_FAMILIES"]

SECOND_WAVE_FAMILIES = 2  # families retrained with the other augmentation setting
SECOND_WAVE_TIME = 0.5  # ... if at least this share of the time budget is left when the first wave ends


def enqueue_baselines(study: optuna.Study, families: list[str], input_kind: str, *, augment: bool | None) -> None:
    """Queue one default-config trial per family (``augment``: the setting they train with, if it is searched)."""
    from sizeup.training.config import default_config
    from sizeup.zoo import get_family

    lr = default_config(input_kind).lr
    for family in families:
        defaults = dataclasses.asdict(get_family(family).config_cls())
        study.enqueue_trial(default_params(family, defaults, lr, augment=augment),
                            user_attrs={"baseline": True, "wave": 1}, skip_if_exists=True)


class SecondWave:
    """An Optuna callback: once every first-wave baseline has finished, queue the best ``SECOND_WAVE_FAMILIES``
    families' baselines again with augmentation flipped, when the time (or trial) budget leaves room for them."""

    def __init__(self, families: list[str], input_kind: str, *, augment: bool, budget_s: float | None,
                 started: float, max_trials: int | None) -> None:
        self.families, self.input_kind, self.augment = families, input_kind, augment
        self.budget_s, self.started, self.max_trials = budget_s, started, max_trials
        self.done = False

    def _room(self, finished: int) -> bool:
        """Time mode: half the budget is left. Trial-count mode: the wave leaves at least as many trials to the sampler."""
        if self.budget_s is not None:
            return time.monotonic() - self.started <= SECOND_WAVE_TIME * self.budget_s
        return self.max_trials is None or self.max_trials - finished >= 2 * SECOND_WAVE_FAMILIES

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if self.done:
            return
        trials = study.get_trials(deepcopy=False)
        first = [t for t in trials if t.user_attrs.get("wave") == 1]
        if any(t.user_attrs.get("wave") == 2 for t in trials):
            self.done = True  # a resumed search queued it already
            return
        if any(not t.state.is_finished() for t in first):
            return
        self.done = True
        if not self._room(sum(t.state.is_finished() for t in trials)):
            return
        ranked = sorted((t for t in first if t.state == TrialState.COMPLETE and t.value is not None),
                        key=lambda t: t.value, reverse=study.direction == optuna.study.StudyDirection.MAXIMIZE)
        from sizeup.training.config import default_config
        from sizeup.zoo import get_family

        lr = default_config(self.input_kind).lr
        for t in ranked[:SECOND_WAVE_FAMILIES]:
            family = t.params["family"]
            defaults = dataclasses.asdict(get_family(family).config_cls())
            params, attrs = default_params(family, defaults, lr, augment=not self.augment), {"baseline": True, "wave": 2}
            if self.max_trials is not None:  # the trial count's slots are reserved: the wave takes two of them
                fill_slot(study, params, user_attrs=attrs)
            else:
                study.enqueue_trial(params, user_attrs=attrs, skip_if_exists=True)
