"""A saturating power law, error = E + A·x^−α, fitted in log space with SciPy, with intervals.

The fit follows Hoffmann et al. (2022, App. D.2) as Besiroglu et al. (2024) replicated it: the prediction is
written as a log-sum-exp, log(E + A·x^−α) = LSE(e, a − α·log x), and L-BFGS-B minimises the squared log
residuals from a grid of initialisations. The curve's interval at a size is a profile-likelihood interval
(:mod:`sizeup.scaling._profile`); the intervals of E, A and α come from a residual bootstrap (Davison & Hinkley
1997, Algorithm 6.2, the modified residuals of their eq. 6.9 approximated by the n/(n − p) factor).
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from sizeup._imports import optional_import
from sizeup.errors import SizeupError

__all__ = ["PowerLaw", "fit_power_law", "check_points", "MIN_SIZES", "lse_minimize", "one_blas_thread"]

MIN_SIZES = 4  # three parameters: four distinct sizes leave one degree of freedom
_N_PARAMS = 3
_ALPHA_BOUNDS = (1e-4, 4.0)


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run SciPy's optimisers on one BLAS thread: their vectors are tiny, and OpenBLAS threads that wait for
    busy cores made one L-BFGS run 30× slower on a loaded 2-core machine."""
    threadpoolctl = optional_import("threadpoolctl", extra="scaling", feature="the scaling fit")
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield


def lse_minimize(objective, starts: Sequence[Sequence[float]], *, bounds: Sequence[tuple[float | None, float | None]]):
    """The best of L-BFGS-B runs of ``objective`` (value and gradient) from every start (SciPy)."""
    optimize = optional_import("scipy.optimize", extra="scaling", feature="the scaling fit")
    best = None
    for start in starts:
        res = optimize.minimize(objective, np.asarray(start, dtype=float), jac=True, method="L-BFGS-B", bounds=bounds)
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    if best is None:
        raise SizeupError("the scaling fit did not converge from any initialisation; the points may hold NaN or zero")
    return best.x


def _log_law(theta: np.ndarray, lx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log(E + A·x^−α) for theta = (a, e, α) with A = exp(a), E = exp(e); also the softmax weight of the A term."""
    a, e, alpha = theta
    t1 = a - alpha * lx
    top = np.maximum(t1, e)
    w1, w2 = np.exp(t1 - top), np.exp(e - top)
    return top + np.log(w1 + w2), w1 / (w1 + w2)


def _squared_objective(lx: np.ndarray, ly: np.ndarray):
    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        pred, w = _log_law(theta, lx)
        r = pred - ly
        grad = np.array([(r * w).sum(), (r * (1 - w)).sum(), (r * w * -lx).sum()])
        return 0.5 * float(r @ r), grad
    return objective


def _starts(lx: np.ndarray, ly: np.ndarray) -> list[tuple[float, float, float]]:
    low, mean = float(ly.min()), float(ly.mean())
    return [(mean + da, low + de, al) for da, de, al in itertools.product((-1.0, 0.0, 1.0), (-3.0, -1.0, -0.2),
                                                                       (0.1, 0.3, 0.7, 1.2))]


def _fit_theta(lx: np.ndarray, ly: np.ndarray, starts: Sequence[Sequence[float]]) -> np.ndarray:
    bounds = [(None, None), (float(ly.min()) - 20.0, float(ly.max())), _ALPHA_BOUNDS]
    return lse_minimize(_squared_objective(lx, ly), starts, bounds=bounds)


@dataclass
class PowerLaw:
    """error = E + A·x^−α over ``x`` (parameters or training FLOPs), with bootstrap replicates of (log A, log E, α).

    ``x_ref`` rescales x inside the fit (x / x_ref is near 1) so the optimiser sees numbers of one size; the
    reported ``A`` is in the units of x itself.
    """

    x_name: str
    x: list[float]
    y: list[float]
    x_ref: float
    theta: tuple[float, float, float]  # (a, e, α) for error = exp(e) + exp(a)·(x / x_ref)^−α
    level: float = 0.9
    residual_std: float = 0.0  # of the log residuals
    boot: np.ndarray = field(default_factory=lambda: np.empty((0, 3)), repr=False)
    _cache: dict = field(default_factory=dict, repr=False)  # profile intervals already computed, by (x, level)

    @property
    def E(self) -> float:
        return math.exp(self.theta[1])

    @property
    def alpha(self) -> float:
        return self.theta[2]

    @property
    def A(self) -> float:
        return math.exp(self.theta[0]) * self.x_ref ** self.alpha

    def _log_predict(self, x: Any, thetas: np.ndarray) -> np.ndarray:
        lx = np.log(np.asarray(x, dtype=float) / self.x_ref)
        return np.stack([_log_law(t, lx)[0] for t in np.atleast_2d(thetas)])

    def predict(self, x: Any) -> np.ndarray:
        """The fitted error at ``x``."""
        return np.exp(self._log_predict(x, np.asarray(self.theta))[0])

    def replicates(self, x: Any) -> np.ndarray:
        """The bootstrap replicates' errors at ``x`` (one row per replicate)."""
        return np.exp(self._log_predict(x, self.boot)) if len(self.boot) else self.predict(x)[None, :]

    def _profile(self, x: float, level: float) -> tuple[float, float, float]:
        from sizeup.scaling._profile import profile_interval

        key = (float(x), level)
        if key not in self._cache:
            lx = np.log(np.asarray(self.x) / self.x_ref)
            with one_blas_thread():
                self._cache[key] = profile_interval(lx, np.log(self.y), np.asarray(self.theta),
                                                    math.log(float(x) / self.x_ref), level=level,
                                                    alpha_bounds=_ALPHA_BOUNDS)
        return self._cache[key]

    def interval(self, x: Any, level: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Profile-likelihood interval of the fitted curve at each ``x``: where the mean error of many runs
        of that size would lie (see :mod:`sizeup.scaling._profile`)."""
        ends = [self._profile(v, level or self.level) for v in np.atleast_1d(np.asarray(x, dtype=float))]
        return np.exp([e[0] for e in ends]), np.exp([e[2] for e in ends])

    def prediction_interval(self, x: Any, runs: int = 1, level: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Where the mean of ``runs`` new measurements at each ``x`` would lie: the curve's interval widened by
        their noise."""
        from sizeup.scaling._profile import widen_for_runs

        level = level or self.level
        out = [widen_for_runs(*self._profile(v, level), residual_std=self.residual_std, dof=len(self.y) - _N_PARAMS,
                              runs=runs, level=level) for v in np.atleast_1d(np.asarray(x, dtype=float))]
        return np.exp([o[0] for o in out]), np.exp([o[1] for o in out])

    def parameter_intervals(self) -> dict[str, tuple[float, float]]:
        q = (1 - self.level) / 2
        if not len(self.boot):
            return {k: (v, v) for k, v in (("E", self.E), ("A", self.A), ("alpha", self.alpha))}
        a, e, al = self.boot.T
        cols = {"E": np.exp(e), "A": np.exp(a) * self.x_ref ** al, "alpha": al}
        return {k: (float(np.quantile(v, q)), float(np.quantile(v, 1 - q))) for k, v in cols.items()}

    def to_dict(self) -> dict[str, Any]:
        return {"x": self.x_name, "formula": f"error = E + A * {self.x_name}^-alpha", "E": self.E, "A": self.A,
                "alpha": self.alpha, "level": self.level, "intervals": self.parameter_intervals(),
                "residual_std_log": self.residual_std, "n_points": len(self.x), "n_sizes": len(set(self.x)),
                "bootstrap": len(self.boot)}


def check_points(x: Sequence[float], y: Sequence[float], *, what: str = "test error", x_name: str = "params") -> None:
    """Refuse, in one line, points that cannot be fitted: too few sizes, or no improvement with size."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(xs) != len(ys) or not len(xs):
        raise SizeupError(f"the scaling fit needs one {what} per size, got {len(xs)} sizes and {len(ys)} values")
    bad = ~(np.isfinite(xs) & np.isfinite(ys) & (xs > 0) & (ys > 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise SizeupError(f"the scaling fit needs positive, finite {x_name} and {what}; point {i} has "
                          f"{x_name}={xs[i]:g}, {what}={ys[i]:g}")
    sizes = np.unique(xs)
    if len(sizes) < MIN_SIZES:
        raise SizeupError(f"the scaling fit needs at least {MIN_SIZES} distinct sizes to fit E, A and alpha, got "
                          f"{len(sizes)} ({', '.join(f'{s:,.0f}' for s in sizes)} {x_name}); train more sizes (--sizes)")
    means = np.array([ys[xs == s].mean() for s in sizes])
    slope = np.polyfit(np.log(sizes), np.log(means), 1)[0]
    if means[-1] >= means[0] or slope >= 0:
        raise SizeupError(f"the {what} does not improve with size ({means[0]:.4g} at {sizes[0]:,.0f} {x_name}, "
                          f"{means[-1]:.4g} at {sizes[-1]:,.0f}); a power law cannot forecast it: the family is "
                          "saturated here or the recipe does not suit its larger sizes")


def fit_power_law(x: Sequence[float], y: Sequence[float], *, x_name: str = "params", level: float = 0.9,
                  bootstrap: int = 500, seed: int = 0, what: str = "test error") -> PowerLaw:
    """Fit error = E + A·x^−α to the points (several runs per size are fine) and bootstrap it ``bootstrap`` times.

    Raises :class:`SizeupError` with one line when there are fewer than four sizes or the error does not
    fall with size.
    """
    if not 0 < level < 1:
        raise SizeupError(f"level must be a fraction in (0, 1), e.g. 0.9, got {level!r}")
    check_points(x, y, what=what, x_name=x_name)
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    x_ref = float(np.exp(np.log(xs).mean()))
    lx, ly = np.log(xs / x_ref), np.log(ys)
    with one_blas_thread():
        theta = _fit_theta(lx, ly, _starts(lx, ly))
        pred = _log_law(theta, lx)[0]
        resid = ly - pred
        dof = max(len(ly) - _N_PARAMS, 1)
        modified = (resid - resid.mean()) * math.sqrt(len(ly) / dof)
        boot = _bootstrap(lx, pred, modified, theta, bootstrap, seed)
    return PowerLaw(x_name=x_name, x=xs.tolist(), y=ys.tolist(), x_ref=x_ref, theta=tuple(float(v) for v in theta),
                    level=level, residual_std=float(np.sqrt((resid @ resid) / dof)), boot=boot)


def _bootstrap(lx: np.ndarray, pred: np.ndarray, residuals: np.ndarray, theta: np.ndarray, n: int,
               seed: int) -> np.ndarray:
    """Refit to the fitted curve plus resampled residuals, ``n`` times, from the fit itself (one start each)."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, 3))
    for b in range(n):
        ly = pred + rng.choice(residuals, size=len(residuals), replace=True)
        out[b] = _fit_theta(lx, ly, [theta])
    return out
