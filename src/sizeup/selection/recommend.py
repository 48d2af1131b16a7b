"""Choose the model to use, and say why: the candidates statistically tied with the best, binding constraints, the
next-better model's price, the smallest model within one point, and why the other candidates lost.

The choice follows Breiman's one-standard-error rule (Breiman et al. 1984, *Classification and Regression Trees*,
section 3.4.3): every candidate whose validation score lies within one standard error of the best is as good as the
best as far as the validation data can tell, so the cheapest of them is recommended: the lowest batch-1 latency
(latencies within :data:`SAME_LATENCY` of each other count as equal), then the fewest parameters. A more confident
model is never preferred over a cheaper one that the data cannot tell apart from it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sizeup.selection.constraints import FIGURE_OF, violations

__all__ = ["Recommendation", "recommend"]

POINT = 0.01  # "one point" of a 0-1 metric; for lower-is-better metrics, 1 % of the best value
SAME_LATENCY = 1.10  # latencies within 10 % are equal for the choice: the measurement's own spread is a few percent


@dataclass
class Recommendation:
    """The chosen trial (``None`` if nothing completed), whether it meets every constraint, and why."""

    trial: int | None
    feasible: bool
    headline: str
    reasons: list[str] = field(default_factory=list)
    row: dict[str, Any] | None = None
    model: Any = None  # the trained model of the chosen row, attached by the search
    id: str | None = None  # the chosen leaderboard row (a trial number, or e.g. "12+int8" for a compressed variant)


def _fmt(key: str, value: float) -> str:
    unit = {"latency_ms": " ms", "memory_mb": " MB", "train_seconds": " s"}.get(key, "")
    return f"{value:,.0f}{unit}" if key in ("params", "flops") else f"{value:.3g}{unit}"


def _within_point(q: pd.Series, best: float, higher: bool) -> pd.Series:
    return q >= best - POINT if higher else q <= best * (1 + POINT)


def _tied(feasible: pd.DataFrame, best: pd.Series, q: str, higher: bool) -> tuple[pd.DataFrame, float]:
    """The candidates within one standard error of the best, and that standard error (0 when unknown)."""
    se = best.get(f"{q}_se")
    se = float(se) if se is not None and se == se else 0.0
    within = feasible[q] >= best[q] - se if higher else feasible[q] <= best[q] + se
    return feasible[within], se


def _cheapest(tied: pd.DataFrame, q: str, higher: bool) -> pd.Series:
    """Lowest latency (within :data:`SAME_LATENCY`), then fewest parameters, then the better score."""
    latency = tied["latency_ms"].astype(float).fillna(float("inf"))
    fast = tied[latency <= latency.min() * SAME_LATENCY]
    return fast.sort_values(["params", q], ascending=[True, not higher]).iloc[0]


def recommend(df: pd.DataFrame, limits: dict[str, float], metric: str, *, higher_is_better: bool,
              validation: str = "validation") -> Recommendation:
    """The recommended row of a leaderboard; ``validation`` names how scores were obtained, for the reasons."""
    q = f"val_{metric}"
    done = df[df["status"] == "completed"].copy()
    losers = _why_others_lost(df)
    if done.empty:
        return Recommendation(None, False, "no candidate finished training", [
            "every candidate was pruned, rejected or failed; give the search more time (--budget) or relax the constraints",
            *losers])
    better = (lambda a, b: a > b) if higher_is_better else (lambda a, b: a < b)
    feasible = done[done["feasible"]]
    if feasible.empty:
        return _closest(done, limits, q, losers, higher_is_better)
    best = feasible.sort_values([q, "val_loss", "params"], ascending=[not higher_is_better, True, True]).iloc[0]
    tied, se = _tied(feasible, best, q, higher_is_better)
    choice = _cheapest(tied, q, higher_is_better)
    reasons = [_choice_reason(choice, best, tied, se, metric, len(feasible), validation)]
    stronger = done[done[q].map(lambda v: better(v, choice[q]))]
    for key in limits:
        breakers = [r for _, r in stronger.iterrows() if key in violations({key: limits[key]}, r.to_dict())]
        if breakers:
            top = breakers[0]
            reasons.append(f"{key} = {limits[key]:g} binds: {len(breakers)} better candidate(s) break it, e.g. "
                           f"{top['model']} (val {top[q]:.4f}) needs {_fmt(FIGURE_OF[key], top[FIGURE_OF[key]])}")
    if stronger.empty:
        reasons.append("no constraint binds: no completed candidate scored higher")
    else:
        nxt = stronger.sort_values(q, ascending=higher_is_better).iloc[0]
        reasons.append(f"the next-better model, {nxt['model']} (val {nxt[q]:.4f}), would cost "
                       f"{nxt['latency_ms'] / choice['latency_ms']:.1f}x the latency and {nxt['params'] / max(choice['params'], 1):.1f}x "
                       "the parameters")
    close = feasible[_within_point(feasible[q], best[q], higher_is_better)].sort_values("params").iloc[0]
    if close["params"] < choice["params"]:  # a smaller model than the choice that is still within a point of the best
        reasons.append(f"within one point of the best: {close['model']} (val {close[q]:.4f}) with "
                       f"{close['params'] / max(choice['params'], 1):.2g}x the parameters and "
                       f"{close['latency_ms'] / choice['latency_ms']:.2g}x the latency of the choice")
    headline = f"use {choice['model']} (trial {choice['id']})"
    return Recommendation(int(choice["trial"]), True, headline, reasons + losers, choice.to_dict(), id=str(choice["id"]))


def _choice_reason(choice: pd.Series, best: pd.Series, tied: pd.DataFrame, se: float, metric: str, n_feasible: int,
                   validation: str) -> str:
    q = f"val_{metric}"
    test = choice.get(f"test_{metric}", float("nan"))
    if len(tied) == 1:
        return (f"best validation {metric} ({best[q]:.4f} ± {se:.4f} standard error, {validation}; test {test:.4f}) of "
                f"the {n_feasible} completed candidates that meet every constraint; no other lies within one standard error")
    head = (f"{len(tied)} of the {n_feasible} completed candidates that meet every constraint are statistically tied: "
            f"their validation {metric} lies within one standard error ({se:.4f}, {validation}) of the best, "
            f"{best['model']} ({best[q]:.4f})")
    if choice["id"] == best["id"]:
        return head + f"; it is also the cheapest of them (test {test:.4f})"
    return (head + f"; recommended is the cheapest of them, {choice['model']} (val {choice[q]:.4f}, test {test:.4f}): "
            f"{choice['latency_ms']:.3g} ms batch-1 latency and {int(choice['params']):,} parameters against "
            f"{best['latency_ms']:.3g} ms and {int(best['params']):,}")


def _closest(done: pd.DataFrame, limits: dict[str, float], q: str, losers: list[str], higher: bool) -> Recommendation:
    def total_excess(row: pd.Series) -> float:
        return sum(v / lim - 1 for v, lim in violations(limits, row.to_dict()).values())

    scored = done.assign(_excess=done.apply(total_excess, axis=1)).sort_values(["_excess", q], ascending=[True, not higher])
    near = scored.iloc[0]
    broken = violations(limits, near.to_dict())
    relax = "; ".join(f"relax {k} to {_fmt(FIGURE_OF[k], v)}" for k, (v, _) in broken.items())
    return Recommendation(int(near["trial"]), False, "no candidate meets every constraint", [
        f"closest: {near['model']} (val {near[q]:.4f}), which breaks " + ", ".join(
            f"{k} ({_fmt(FIGURE_OF[k], v)} > {lim:g})" for k, (v, lim) in broken.items()),
        f"to accept it: {relax}", *losers], near.drop(labels="_excess").to_dict(), id=str(near["id"]))


def _why_others_lost(df: pd.DataFrame) -> list[str]:
    out = []
    pruned = int((df["status"] == "pruned").sum())
    if pruned:
        out.append(f"{pruned} candidate(s) stopped early: validation quality below their Hyperband rung")
    infeasible = df[df["status"] == "infeasible"]
    if len(infeasible):
        keys = Counter(part.split(":")[0].strip() for r in infeasible["reason"] for part in str(r).split(";"))
        out.append(f"{len(infeasible)} rejected before training for " + ", ".join(f"{k} ({n})" for k, n in keys.items()))
    failed = df[df["status"] == "failed"]
    if len(failed):
        out.append(f"{len(failed)} failed: " + "; ".join(sorted(set(str(r)[:80] for r in failed["reason"])))[:300])
    return out
