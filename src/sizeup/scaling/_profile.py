"""Profile-likelihood intervals of the fitted curve at one size (Bates & Watts 1988, §6.1: the likelihood-ratio
region of a nonlinear least-squares fit with unknown variance).

A value v of the log error at x is inside the interval when the best fit that passes through it, with E and α
free and A then fixed by the constraint, raises the residual sum of squares S by at most
S·F(level; 1, n − 3)/(n − 3). With four sizes the floor E is weakly determined: on 30 simulated data sets
(benchmarks/scaling_intervals.py) the percentile interval of a residual bootstrap covered the true error at
8× the largest size in 18 at a nominal 90 %, this interval in 29.
"""

from __future__ import annotations

import math

import numpy as np

from sizeup._imports import optional_import

__all__ = ["profile_interval", "widen_for_runs"]

_SPAN = 6.0  # search up to e^6 (×400) either side of the fit; beyond that the interval is reported as open


def _constrained_sse(lx: np.ndarray, ly: np.ndarray, l_at: float, lv: float, starts: list[np.ndarray],
                     bounds_alpha: tuple[float, float]) -> tuple[float, np.ndarray]:
    """Least S over (e, α) of fits whose log error at ``l_at`` is ``lv`` (so A = (v − E)·x^α)."""
    from sizeup.scaling._powerlaw import _log_law

    optimize = optional_import("scipy.optimize", extra="scaling", feature="the scaling fit")

    def objective(q: np.ndarray) -> tuple[float, np.ndarray]:
        e, alpha = q
        gap = math.exp(lv) - math.exp(e)
        a = math.log(gap) + alpha * l_at
        pred, w = _log_law(np.array([a, e, alpha]), lx)
        r = pred - ly
        g_a, g_e, g_al = (r * w).sum(), (r * (1 - w)).sum(), (r * w * -lx).sum()
        return float(r @ r), 2 * np.array([g_e + g_a * -math.exp(e) / gap, g_al + g_a * l_at])

    bounds = [(float(ly.min()) - 20.0, lv - 1e-6), bounds_alpha]
    best = (math.inf, starts[0])
    for s in starts:
        s = np.array([min(s[0], lv - 1e-3), s[1]])
        res = optimize.minimize(objective, s, jac=True, method="L-BFGS-B", bounds=bounds)
        if res.fun < best[0]:
            best = (float(res.fun), res.x)
    return best


def profile_interval(lx: np.ndarray, ly: np.ndarray, theta: np.ndarray, l_at: float, *, level: float,
                     alpha_bounds: tuple[float, float]) -> tuple[float, float, float]:
    """(low, fitted, high) log error at ``l_at`` (log of x / x_ref) for the fit ``theta`` of points (lx, ly)."""
    from sizeup.scaling._powerlaw import _log_law

    optimize = optional_import("scipy.optimize", extra="scaling", feature="the scaling fit")
    stats = optional_import("scipy.stats", extra="scaling", feature="the scaling fit")
    n = len(ly)
    dof = max(n - 3, 1)
    resid = _log_law(theta, lx)[0] - ly
    s0 = float(resid @ resid)
    limit = s0 * (1 + stats.f.ppf(level, 1, dof) / dof)
    fitted = float(_log_law(theta, np.array([l_at]))[0][0])
    warm = [np.array([theta[1], theta[2]])]

    def excess(lv: float) -> float:
        # E is free and may be near 0 at the fit, where the loss hardly depends on it: start some fits with a
        # floor just below the constrained value too, or they stay stuck at E ≈ 0
        floors = [np.array([lv - gap, theta[2]]) for gap in (0.2, 1.0, 3.0)]
        s, q = _constrained_sse(lx, ly, l_at, lv, [warm[-1], *floors], alpha_bounds)
        warm.append(q)
        return s - limit

    ends = []
    for sign in (-1.0, 1.0):
        warm[:] = warm[:1]
        step, far = 0.05, fitted
        while abs(far - fitted) < _SPAN:
            far = fitted + sign * step
            if excess(far) > 0:
                break
            step *= 2
        else:
            ends.append(far)
            continue
        near = fitted + sign * step / 2 if step > 0.05 else fitted
        if excess(near) > 0:  # the constrained fits found no lower loss there than at `far`: bracket from the fit
            near = fitted
        if excess(near) > 0:  # not even at the fit (a constrained fit stuck elsewhere): keep the wider end
            ends.append(far)
            continue
        ends.append(optimize.brentq(excess, *sorted((near, far)), xtol=2e-3))
    return ends[0], fitted, ends[1]


def widen_for_runs(low: float, fitted: float, high: float, *, residual_std: float, dof: int, runs: int,
                   level: float) -> tuple[float, float]:
    """The interval of the mean of ``runs`` new measurements: each side of the curve's interval combined in
    quadrature with the t-quantile of their noise (residual spread over √runs)."""
    stats = optional_import("scipy.stats", extra="scaling", feature="the scaling fit")
    noise = stats.t.ppf((1 + level) / 2, max(dof, 1)) * residual_std / math.sqrt(runs)
    return fitted - math.hypot(fitted - low, noise), fitted + math.hypot(high - fitted, noise)
