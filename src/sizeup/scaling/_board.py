"""The same fit over a finished search: per family, the completed trials' test quality against parameters.

A search varies more than size (learning rate, dropout, depth and width together), so each distinct size
keeps only its best trial by validation quality: the curve is the family's frontier, what the search could
reach at each size, rather than one recipe's. Training compute per trial is 3 × forward FLOPs per sample
× epochs (backward ≈ 2 forwards, Kaplan et al. 2020 §2.1), per training example, times ``n_train`` if given.
Latency at a forecast size comes from a power law fitted to the family's trials, latency ∝ params^k.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from sizeup.errors import SizeupError
from sizeup.scaling._family import FamilyFit, fit_family
from sizeup.scaling._quality import Quality
from sizeup.scaling._verdict import compact, verdict

__all__ = ["BoardScaling", "fit_leaderboard", "board_points"]

BOARD_MULTIPLES = (2.0, 4.0, 10.0)


@dataclass
class BoardScaling:
    """Per family: the fit (or the one-line reason it was refused)."""

    metric: str
    higher_is_better: bool
    fits: dict[str, FamilyFit] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)

    def sentence(self, family: str) -> str | None:
        """'a 4× larger cnn (…) would likely gain …' for the recommendation, or None without a fit."""
        fit = self.fits.get(family)
        return fit.sentence if fit else None

    def to_json(self) -> dict[str, Any]:
        """The ``scaling.json`` payload a search writes (``kind`` "search"); the report renders it."""
        q = Quality(self.metric, self.higher_is_better)
        return {"kind": "search", "metric": self.metric, "higher_is_better": self.higher_is_better, "unit": q.unit,
                "families": {name: fit.to_dict() for name, fit in self.fits.items()},
                "refused": dict(self.refused)}

    def write(self, path: str | Path) -> Path:
        from sizeup._io import write_json

        write_json(path, self.to_json())
        return Path(path)


def board_points(board: pd.DataFrame, family: str, metric: str, *, higher_is_better: bool,
                 n_train: int | None = None) -> list[dict[str, Any]]:
    """One point per distinct size of ``family``: its best completed trial by validation quality."""
    test, val = f"test_{metric}", f"val_{metric}"
    rows = board[(board["family"] == family) & (board["status"] == "completed")]
    rows = rows[rows["params"].notna() & rows[test].notna()]
    if val in rows.columns and rows[val].notna().any():
        rows = rows.sort_values(val, ascending=not higher_is_better, na_position="last")
    rows = rows.drop_duplicates("params", keep="first").sort_values("params")
    points = []
    for _, r in rows.iterrows():
        flops, epochs = r.get("flops"), r.get("epochs")
        compute = 3.0 * flops * epochs * (n_train or 1) if pd.notna(flops) and pd.notna(epochs) and flops else None
        points.append({"params": float(r["params"]), "train_flops": compute, "value": float(r[test]),
                       "trial": int(r["trial"]), "label": str(r.get("model", "")),
                       "latency_ms": float(r["latency_ms"]) if pd.notna(r.get("latency_ms")) else None})
    return points


def _latency_exponent(points: Sequence[dict[str, Any]]) -> float | None:
    """k in latency ∝ params^k over the trials (least squares on logs); None with fewer than two latencies."""
    pts = [(p["params"], p["latency_ms"]) for p in points if p.get("latency_ms")]
    if len({n for n, _ in pts}) < 2:
        return None
    n, t = np.log(np.array(pts, dtype=float)).T
    return float(max(np.polyfit(n, t, 1)[0], 0.0))


def _family_fit(family: str, points: list[dict[str, Any]], quality: Quality, *, level: float,
                bootstrap: int, seed: int) -> FamilyFit:
    fit = fit_family(family, quality, points, level=level, bootstrap=bootstrap, seed=seed)
    k = _latency_exponent(points)
    for m in BOARD_MULTIPLES:
        f = fit.forecast(m * fit.largest, multiple=m)
        f.latency_ratio = m**k if k is not None else None
        fit.forecasts.append(f)
    four = next(f for f in fit.forecasts if f.multiple == 4.0)
    subject = f"a 4× larger {family} ({compact(four.params)} parameters) would likely"
    fit.sentence = verdict(fit, subject=subject, verb="gain")
    return fit


def fit_leaderboard(board: pd.DataFrame, metric: str, higher_is_better: bool, *, n_train: int | None = None,
                    level: float = 0.9, bootstrap: int = 500, seed: int = 0) -> BoardScaling:
    """Fit test quality against size for every family of a search's leaderboard (``leaderboard.csv``'s
    columns: trial, family, model, status, params, flops, latency_ms, epochs, val_<metric>, test_<metric>).

    A family whose points cannot be fitted (fewer than four sizes, no gain with size) is listed in
    ``refused`` with the reason, and the others are still fitted.
    """
    needed = ["trial", "family", "status", "params", f"test_{metric}"]
    missing = [c for c in needed if c not in board.columns]
    if missing:
        raise SizeupError(f"the leaderboard has no column {missing[0]!r}; give a search's leaderboard.csv "
                          f"(its metric column is test_<metric>; metric was {metric!r})")
    quality = Quality(metric, higher_is_better)
    out = BoardScaling(metric, higher_is_better)
    for family in sorted(board["family"].dropna().astype(str).unique()):
        points = board_points(board, family, metric, higher_is_better=higher_is_better, n_train=n_train)
        try:
            out.fits[family] = _family_fit(family, points, quality, level=level, bootstrap=bootstrap, seed=seed)
        except SizeupError as exc:
            out.refused[family] = str(exc)
    return out
