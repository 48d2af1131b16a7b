"""The time budget is the budget: candidates train only while the work that must follow them still fits.

A search's clock starts once its data is loaded (the imports and the data's loading are one-off costs, printed apart).
What follows the last trial (retraining the winner on every non-test row, the compressed variants, the ONNX export and
the report) is planned inside the budget: :class:`Budget` keeps an estimate of it, updated from each finished trial,
and the trials' deadline is the budget's end minus that estimate.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

__all__ = ["Budget", "FINISH_SECONDS", "COMPRESS_SECONDS", "MIN_TRIAL_SECONDS"]

FINISH_SECONDS = 6.0  # ranking, saving, the ONNX export with its onnxruntime check, and the report, measured on 2 cores
COMPRESS_SECONDS = 6.0  # one compressed variant besides its own training (export, quantize, test, measure)
MIN_TRIAL_SECONDS = 3.0  # no candidate starts with less training time than this left


@dataclass
class Budget:
    """``seconds`` of wall time from ``started`` (``None``: bounded by the trial count alone)."""

    seconds: float | None
    started: float = field(default_factory=time.monotonic)
    retrain: bool = False  # whether the winner is retrained after the search (k-fold, or retrain_on_full)
    folds: int = 1
    compress: int = 0  # compressed variants to make after the search
    retrain_seconds: float = 0.0

    @property
    def finishing(self) -> float:
        """Seconds the work after the last trial is expected to take."""
        return FINISH_SECONDS + COMPRESS_SECONDS * self.compress + (self.retrain_seconds if self.retrain else 0.0)

    @property
    def deadline(self) -> float | None:
        """``time.monotonic()`` after which no candidate trains."""
        if self.seconds is None:
            return None
        return self.started + max(self.seconds - self.finishing, min(self.seconds, MIN_TRIAL_SECONDS))

    def left(self) -> float:
        return math.inf if self.deadline is None else self.deadline - time.monotonic()

    def observe_best(self, train_seconds: float | None) -> None:
        """The best candidate so far trained in ``train_seconds`` (summed over its folds): retraining it on every
        non-test row takes about one fold's time, scaled up to all the rows."""
        if train_seconds:
            per_fold = train_seconds / self.folds
            self.retrain_seconds = per_fold * (self.folds / (self.folds - 1) if self.folds > 1 else 1.0)

    def describe(self) -> str:
        if self.seconds is None:
            return ""
        return (f"budget {self.seconds:.0f} s: candidates train for about {max(0.0, self.seconds - self.finishing):.0f} s, "
                f"then finishing (export and report{', retraining the winner' if self.retrain else ''}"
                f"{', compressed variants' if self.compress else ''}) takes about {self.finishing:.0f} s")
