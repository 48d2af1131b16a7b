"""The two-variable law of Hoffmann et al. (2022, eq. 2), L(N, D) = E + A/N^α + B/D^β, fitted their way.

As in their App. D.2 and Besiroglu et al. (2024, "Chinchilla Scaling: A replication attempt", §2): the
prediction is the log-sum-exp LSE(a − α·log N, b − β·log D, e) with A = exp(a), B = exp(b), E = exp(e); the
loss is the Huber loss (δ = 1e-3) of its difference from log L, summed over points; L-BFGS runs from every
point of a grid of initialisations and the best end point wins. The loss is divided by δ, which leaves the
minimiser where it is and keeps L-BFGS's stopping tests from firing on gradients of order δ.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from sizeup.errors import SizeupError
from sizeup.scaling._powerlaw import lse_minimize, one_blas_thread

__all__ = ["DataLaw", "fit_data_law", "read_loss_points", "GRID_3", "GRID_HOFFMANN"]

# (a, b, e, α, β) starts. GRID_3 is a 3^5 corner of Hoffmann et al.'s grid (GRID_HOFFMANN, App. D.2).
GRID_3 = ((0.0, 10.0, 20.0), (0.0, 10.0, 20.0), (-1.0, 0.0, 1.0), (0.0, 0.5, 1.0), (0.0, 0.5, 1.0))
GRID_HOFFMANN = (tuple(np.arange(0, 30, 5.0)), tuple(np.arange(0, 30, 5.0)), tuple(np.arange(-1, 1.5, 0.5)),
                 tuple(np.arange(0, 2.5, 0.5)), tuple(np.arange(0, 2.5, 0.5)))


@dataclass(frozen=True)
class DataLaw:
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    n_points: int
    loss: float
    starts: int

    def predict(self, n: Any, d: Any) -> np.ndarray:
        n, d = np.asarray(n, dtype=float), np.asarray(d, dtype=float)
        return self.E + self.A / n**self.alpha + self.B / d**self.beta

    def to_dict(self) -> dict[str, Any]:
        return {"formula": "L = E + A / N^alpha + B / D^beta", **self.__dict__}


def _objective(ln: np.ndarray, ld: np.ndarray, ll: np.ndarray, delta: float):
    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        a, b, e, alpha, beta = theta
        terms = np.stack([a - alpha * ln, b - beta * ld, np.full_like(ln, e)])
        top = terms.max(axis=0)
        w = np.exp(terms - top)
        total = w.sum(axis=0)
        r = top + np.log(total) - ll
        w /= total
        huber = np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))
        g = np.clip(r, -delta, delta)  # d huber / d r
        grad = np.array([(g * w[0]).sum(), (g * w[1]).sum(), (g * w[2]).sum(), -(g * w[0] * ln).sum(),
                         -(g * w[1] * ld).sum()])
        return float(huber.sum()) / delta, grad / delta
    return objective


def fit_data_law(n: Sequence[float], d: Sequence[float], loss: Sequence[float], *, delta: float = 1e-3,
                 grid: Sequence[Sequence[float]] = GRID_3) -> DataLaw:
    """Fit L(N, D) = E + A/N^α + B/D^β to model sizes ``n``, training tokens ``d`` and final losses ``loss``."""
    ln, ld, ll = (np.log(np.asarray(v, dtype=float)) for v in (n, d, loss))
    if not (len(ln) == len(ld) == len(ll)) or len(ln) < 6:
        raise SizeupError(f"the L(N, D) fit needs at least 6 points with N, D and loss each, got {len(ln)}, "
                          f"{len(ld)} and {len(ll)}")
    if not (np.isfinite(ln).all() and np.isfinite(ld).all() and np.isfinite(ll).all()):
        raise SizeupError("the L(N, D) fit needs positive, finite N, D and loss; drop the rows that are not")
    starts = list(itertools.product(*grid))
    with one_blas_thread():
        theta = lse_minimize(_objective(ln, ld, ll, delta), starts, bounds=[(None, None)] * 5)
    a, b, e, alpha, beta = (float(v) for v in theta)
    value = _objective(ln, ld, ll, delta)(theta)[0] * delta
    return DataLaw(E=math.exp(e), A=math.exp(a), B=math.exp(b), alpha=alpha, beta=beta, n_points=len(ln),
                   loss=value, starts=len(starts))


def read_loss_points(path: str, *, n: str = "Model Size", compute: str = "Training FLOP", loss: str = "loss",
                     drop_highest: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, D, loss) from a CSV of model sizes, training FLOPs and losses, with D = C / (6N) (Kaplan et al. 2020,
    §2.1: a training step costs 6 FLOPs per parameter per token); ``drop_highest`` drops the highest losses."""
    import pandas as pd

    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise SizeupError(f"{path} not found; give a CSV with columns {n!r}, {compute!r} and {loss!r}") from None
    missing = [c for c in (n, compute, loss) if c not in table.columns]
    if missing:
        raise SizeupError(f"{path} has no column {missing[0]!r}; its columns are: {', '.join(map(str, table.columns))}")
    table = table.sort_values(loss).iloc[: len(table) - drop_highest]
    sizes, flops = table[n].to_numpy(float), table[compute].to_numpy(float)
    return sizes, flops / (6 * sizes), table[loss].to_numpy(float)
