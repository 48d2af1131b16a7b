"""One family's scaling curve: the fits against parameters and compute, forecasts at multiples of its largest
size, and the curve with its interval as data for the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from sizeup.errors import SizeupError
from sizeup.scaling._powerlaw import PowerLaw, fit_power_law
from sizeup.scaling._quality import Quality

__all__ = ["Forecast", "FamilyFit", "fit_family", "MULTIPLES", "CURVE_POINTS"]

MULTIPLES = (2.0, 4.0, 10.0, 100.0)
CURVE_POINTS = 60
BAND_POINTS = 7


@dataclass
class Forecast:
    """The metric forecast for ``multiple``× the largest size fitted, with intervals, and what it costs."""

    multiple: float
    params: float
    value: float  # the point forecast of the metric
    lo: float  # interval of the curve (the mean of many runs)
    hi: float
    pred_lo: float  # interval of the mean of ``runs`` new runs: what a measurement would show
    pred_hi: float
    gain: float  # over the curve at the largest size fitted, in the unit shown (points or the metric)
    gain_lo: float
    gain_hi: float
    compute_value: float | None = None  # the compute fit's forecast at this size's training FLOPs
    knobs: dict[str, Any] | None = None
    cost: Any = None  # a SizeCost when the size was priced
    latency_ratio: float | None = None  # its batch-1 latency over the largest size's

    def to_dict(self) -> dict[str, Any]:
        from sizeup._io import to_jsonable

        out = {k: v for k, v in self.__dict__.items() if k != "cost"}
        out["cost"] = to_jsonable(self.cost) if self.cost is not None else None
        return out


def _as_metric(quality: Quality, lo_err: np.ndarray, hi_err: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = quality.value(lo_err), quality.value(hi_err)
    return np.minimum(a, b), np.maximum(a, b)


@dataclass
class FamilyFit:
    """Quality against size for one family: the fitted laws, the points they came from and forecasts."""

    family: str
    quality: Quality
    points: list[dict[str, Any]]
    by_params: PowerLaw
    by_compute: PowerLaw | None
    runs: int  # runs per size, for the prediction interval of a new measurement
    forecasts: list[Forecast] = field(default_factory=list)
    sentence: str = ""

    @property
    def largest(self) -> float:
        return max(self.by_params.x)

    @property
    def level(self) -> float:
        return self.by_params.level

    def forecast(self, params: float, *, train_flops: float | None = None, multiple: float | None = None) -> Forecast:
        """The metric at ``params`` (and, given its training FLOPs, the compute fit's view of it). The gain is over
        the fitted curve at the largest size, which the data pin down; its interval is the forecast's."""
        law, q = self.by_params, self.quality
        lo_err, hi_err = law.interval([params])
        plo, phi = _as_metric(q, *law.prediction_interval([params], runs=self.runs))
        lo, hi = _as_metric(q, lo_err, hi_err)
        here, there = law.predict([self.largest])[0], law.predict([params])[0]
        compute = None
        if train_flops is not None and self.by_compute is not None:
            compute = float(q.value(self.by_compute.predict([train_flops])[0]))
        return Forecast(multiple=multiple if multiple is not None else params / self.largest, params=float(params),
                        value=float(q.value(there)), lo=float(lo[0]), hi=float(hi[0]),
                        pred_lo=float(plo[0]), pred_hi=float(phi[0]), gain=float(q.gain(here, there)),
                        gain_lo=float(q.gain(here, hi_err[0])), gain_hi=float(q.gain(here, lo_err[0])),
                        compute_value=compute)

    def noise(self) -> float:
        """Run-to-run spread of the error at the largest size: the fit's residual spread is relative (the law is
        fitted to log errors, several seeds per size), so it is that fraction of the error there."""
        return float(self.by_params.residual_std * self.by_params.predict([self.largest])[0])

    def flat_beyond(self) -> float:
        """The size beyond which even an infinitely large model gains less than the run-to-run noise there: the
        remaining gain A·N^−α equals σ·(E + A·N^−α) for the relative noise σ, so N = (A(1 − σ) / (σE))^(1/α);
        with no floor (E ≈ 0) or σ ≥ 1 it never does."""
        law, sigma = self.by_params, self.by_params.residual_std
        if sigma <= 0 or sigma >= 1 or law.E < 1e-9:
            return float("inf")
        return float((law.A * (1 - sigma) / (sigma * law.E)) ** (1 / law.alpha))

    def curve(self) -> dict[str, list[float]]:
        """The fitted metric with its interval from below the smallest size to 100× the largest (log-spaced;
        the interval at fewer points, each a profile-likelihood search)."""
        xs = np.geomspace(min(self.by_params.x) / 1.5, self.largest * MULTIPLES[-1], CURVE_POINTS)
        band = np.geomspace(xs[0], xs[-1], BAND_POINTS)
        lo, hi = _as_metric(self.quality, *self.by_params.interval(band))
        return {"params": xs.tolist(), "value": self.quality.value(self.by_params.predict(xs)).tolist(),
                "band_params": band.tolist(), "lo": lo.tolist(), "hi": hi.tolist()}

    def to_dict(self) -> dict[str, Any]:
        q = self.quality
        return {"family": self.family, "metric": q.metric, "higher_is_better": q.higher_is_better, "unit": q.unit,
                "level": self.level, "runs_per_size": self.runs, "largest_params": self.largest,
                "noise": self.noise() * q.factor, "flat_beyond_params": self.flat_beyond(),
                "points": self.points, "fit_params": self.by_params.to_dict(),
                "fit_compute": self.by_compute.to_dict() if self.by_compute else None,
                "curve": self.curve(), "forecasts": [f.to_dict() for f in self.forecasts], "sentence": self.sentence}


def fit_family(family: str, quality: Quality, points: Sequence[dict[str, Any]], *, level: float = 0.9,
               bootstrap: int = 500, seed: int = 0) -> FamilyFit:
    """Fit the points (each with ``params``, ``value`` and optionally ``train_flops``) against parameters and,
    when every point has it, against training compute."""
    params = [float(p["params"]) for p in points]
    errors = quality.error([p["value"] for p in points]).tolist()
    what = f"test {quality.metric}" + (" error" if quality.higher_is_better else "")
    by_params = fit_power_law(params, errors, x_name="params", level=level, bootstrap=bootstrap, seed=seed, what=what)
    by_compute = None
    if all(p.get("train_flops") for p in points):
        try:
            by_compute = fit_power_law([float(p["train_flops"]) for p in points], errors, x_name="train_flops",
                                       level=level, bootstrap=bootstrap, seed=seed, what=what)
        except SizeupError:
            by_compute = None  # compute not monotone in size (a search mixes epochs): the params fit stands

    runs = max(1, round(len(params) / len(set(params))))
    return FamilyFit(family, quality, [dict(p) for p in points], by_params, by_compute, runs)
