"""The privacy budget: the noise multiplier that meets (ε, δ), the ε a run spent, and the ε of a whole search.

DP-SGD with Poisson sampling at rate q and noise multiplier σ is a subsampled Gaussian mechanism applied once
per step (Abadi et al. 2016). Opacus' accountants compose its steps: PRV (privacy loss random variables, Gopi et
al. 2021), the tightest, and RDP (Rényi DP, Mironov 2017), looser but robust. PRV's discretisation fails on
some settings (Opacus issue #591: "Discrete mean differs significantly from continuous mean", or no epsilon at
all), so a run falls back to RDP there, for solving and for accounting alike, and records which one it used.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sizeup._imports import optional_import
from sizeup.errors import SizeupError

__all__ = ["ACCOUNTANTS", "NoisePlan", "solve_noise", "epsilon_spent", "compose_search"]

ACCOUNTANTS = ("prv", "rdp")
History = list[tuple[float, float, int]]  # Opacus' accountant history: (noise multiplier, sample rate, steps)


def _opacus_accountants() -> Any:
    return optional_import("opacus.accountants", extra="privacy", feature="differential privacy ([privacy] epsilon)")


@dataclass(frozen=True)
class NoisePlan:
    """The noise that meets the target over the planned steps, and the accountant that proved it."""

    noise_multiplier: float
    accountant: str
    sample_rate: float
    steps: int
    epsilon: float  # what the accountant gives for the planned steps: at most the target
    fallback: str | None = None  # why PRV was not used, when it was asked for and failed


MAX_SIGMA = 1e6  # Opacus' get_noise_multiplier gives up above this noise multiplier
TOLERANCE = 0.01  # solved ε lies in [target - TOLERANCE, target], as Opacus' get_noise_multiplier's does


def _solve_sigma(eps_of: Callable[[float], float], target: float) -> tuple[float, float]:
    """The noise multiplier σ with ``target - TOLERANCE <= eps_of(σ) <= target`` (``eps_of`` falls as σ grows).

    Opacus' ``get_noise_multiplier`` (what ``make_private_with_epsilon`` calls) bisects σ in [0, 20] to the same
    tolerance, about 15 accountant calls; a PRV call takes about a second on a CPU core. This brackets the root by
    doubling from σ = 1 and closes it by regula falsi on log ε against log σ (Illinois variant, Dowell & Jarratt
    1971), which meets the same condition in about 6 calls.
    """
    lo, hi = 0.5, 1.0
    e_hi = eps_of(hi)
    while e_hi > target:
        lo, hi = hi, 2 * hi
        if hi == 128 and eps_of(MAX_SIGMA) > target:  # hopeless: say so now, not after 13 more doublings
            raise ValueError("The privacy budget is too low.")
        e_hi = eps_of(hi)
    e_lo = eps_of(lo)
    while e_lo <= target and lo > 1e-3:  # the root lies below the first bracket
        hi, e_hi, lo = lo, e_lo, lo / 2
        e_lo = eps_of(lo)
    f_lo, f_hi, side = math.log(e_lo / target), math.log(e_hi / target), 0
    while target - e_hi > TOLERANCE:
        x = math.log(lo) - f_lo * (math.log(hi) - math.log(lo)) / (f_hi - f_lo)
        sigma = min(max(math.exp(x), lo + 1e-3 * (hi - lo)), hi - 1e-3 * (hi - lo))
        e = eps_of(sigma)
        if e > target:
            lo, f_lo = sigma, math.log(e / target)
            f_hi, side = (f_hi / 2, 1) if side == 1 else (f_hi, 1)
        else:
            hi, e_hi, f_hi = sigma, e, math.log(e / target)
            f_lo, side = (f_lo / 2, -1) if side == -1 else (f_lo, -1)
    return hi, e_hi


@functools.lru_cache(maxsize=256)
def solve_noise(epsilon: float, delta: float, *, sample_rate: float, steps: int, accountant: str = "prv") -> NoisePlan:
    """The noise multiplier that spends at most ``epsilon`` (and at most 0.01 less) over ``steps`` at ``sample_rate``.

    The condition Opacus' ``get_noise_multiplier`` (what ``make_private_with_epsilon`` runs) meets, found with
    fewer accountant calls (see :func:`_solve_sigma`). PRV first when asked; if it raises, RDP solves and
    accounts instead. Solutions are cached: a search repeats the same batch size and epochs.
    """
    _opacus_accountants()
    if accountant not in ACCOUNTANTS:
        raise SizeupError(f"[privacy] accountant must be one of {', '.join(ACCOUNTANTS)}, got {accountant!r}")
    fallback = None
    for mechanism in ([accountant] if accountant == "rdp" else ["prv", "rdp"]):
        try:
            sigma, spent = _solve_sigma(lambda s: epsilon_spent([(s, sample_rate, steps)], delta, mechanism), epsilon)
        except ValueError as exc:
            if "budget is too low" in str(exc):
                raise SizeupError(
                    f"[privacy] epsilon = {epsilon:g} at delta = {delta:g} needs more noise than Opacus allows "
                    f"(sigma > 1e6) for {steps} steps at sample rate {sample_rate:.3g}; raise epsilon or train fewer epochs"
                ) from None
            fallback = f"{mechanism} failed: {exc}"
            continue
        except (RuntimeError, ArithmeticError) as exc:  # PRV's discretisation (Opacus #591, #601)
            fallback = f"{mechanism} failed: {exc}"
            continue
        return NoisePlan(sigma, mechanism, sample_rate, steps, spent, fallback if mechanism != accountant else None)
    raise SizeupError(f"no accountant could solve epsilon = {epsilon:g}, delta = {delta:g} ({fallback}); "
                      "change epsilon, the batch size or the epochs")


def epsilon_spent(history: History, delta: float, accountant: str) -> float:
    """ε after the steps in ``history`` (each entry: noise multiplier, sample rate, steps), by Opacus' accountant."""
    acc = _opacus_accountants().create_accountant(mechanism=accountant)
    acc.history = [(float(s), float(q), int(n)) for s, q, n in history if n > 0]
    if not acc.history:
        return 0.0
    with warnings.catch_warnings():  # PRV's numerics; RDP's "optimal order is the largest alpha" (PRV's domain uses it)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.filterwarnings("ignore", message="Optimal order is the largest alpha")
        return float(acc.get_epsilon(delta=delta))


def compose_search(runs: list[dict[str, Any]], *, delta: float) -> dict[str, Any]:
    """The privacy of a whole search: every trial that trained touched the same private rows.

    ``runs`` are the privacy summaries of the trials (what :class:`~sizeup.privacy.plugin.DPSGDPlugin.summary`
    reports; trials rejected before training spent nothing and are left out). Two figures:

    * ``epsilon`` / ``delta``: basic composition (Dwork & Roth 2014, Theorem 3.16): the sum of the trials' ε and
      δ. It holds however the search chose each trial from the results of the earlier ones, which a search does.
    * ``epsilon_rdp``: RDP composition of every step of every trial at ``delta``, tighter, but it treats the
      trials' settings as fixed in advance rather than chosen adaptively.

    It does not cover the validation rows the search ranks candidates on, nor a hyperparameter choice made
    from them; see docs/privacy.md.
    """
    used = [r for r in runs if r and r.get("steps", 0) > 0]
    if not used:
        return {"trials": 0, "epsilon": 0.0, "delta": 0.0, "epsilon_rdp": 0.0, "epsilon_max_trial": 0.0}
    history = [(r["noise_multiplier"], r["sample_rate"], int(r["steps"])) for r in used]
    return {
        "trials": len(used),
        "epsilon": math.fsum(r["epsilon"] for r in used),
        "delta": math.fsum(r["delta"] for r in used),
        "epsilon_rdp": epsilon_spent(history, delta, "rdp"),
        "epsilon_rdp_delta": delta,
        "epsilon_max_trial": max(r["epsilon"] for r in used),
    }
