"""Quality <-> error: the law is fitted to an error that falls with size, the user reads the task's metric.

Every higher-is-better metric sizeup computes (accuracy, macro-F1, token and sequence accuracy) is a fraction,
so its error is 1 − metric and a gain is shown in points (×100). Lower-is-better metrics (loss, perplexity,
RMSE, MAE) are the error themselves, and a gain is shown in the metric's own units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sizeup.errors import SizeupError

__all__ = ["Quality"]


@dataclass(frozen=True)
class Quality:
    metric: str
    higher_is_better: bool

    @classmethod
    def of(cls, metric: str) -> Quality:
        from sizeup.training.metrics import METRICS

        if metric not in METRICS:
            raise SizeupError(f"metric {metric!r} is not one sizeup computes; choose one of: {', '.join(METRICS)}")
        return cls(metric, METRICS[metric])

    @property
    def unit(self) -> str:
        return "points" if self.higher_is_better else self.metric

    @property
    def factor(self) -> float:
        """Multiplier from a difference in the metric to the unit shown."""
        return 100.0 if self.higher_is_better else 1.0

    def error(self, value):
        v = np.asarray(value, dtype=float)
        return 1.0 - v if self.higher_is_better else v

    def value(self, error):
        """The metric for an error (the inverse of :meth:`error`)."""
        e = np.asarray(error, dtype=float)
        return np.clip(1.0 - e, 0.0, 1.0) if self.higher_is_better else e

    def gain(self, error_from, error_to):
        """Improvement from ``error_from`` to ``error_to`` in the unit shown (positive = better)."""
        return (np.asarray(error_from, dtype=float) - np.asarray(error_to, dtype=float)) * self.factor

    def describe_gain(self, gain: float, lo: float, hi: float, level: float = 0.9) -> str:
        """``+0.8 points of accuracy (90 % interval +0.3…+1.4)``; a lower-is-better metric shows its change."""
        if self.higher_is_better:
            return f"{gain:+.1f} points of {self.metric} ({level:.0%} interval {lo:+.1f}…{hi:+.1f})".replace("%", " %")
        return f"{-gain:+.3g} {self.metric} ({level:.0%} interval {-hi:+.3g}…{-lo:+.3g})".replace("%", " %")
