"""Choose the model to use, and say why: binding constraints, the next-better model's price, the
smallest model within one point, and why the other candidates lost."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sizeup.selection.constraints import FIGURE_OF, violations

__all__ = ["Recommendation", "recommend"]

POINT = 0.01  # "one point" of a 0-1 metric; for lower-is-better metrics, 1 % of the best value


@dataclass
class Recommendation:
    """The chosen trial (``None`` if nothing completed), whether it meets every constraint, and why."""

    trial: int | None
    feasible: bool
    headline: str
    reasons: list[str] = field(default_factory=list)
    row: dict[str, Any] | None = None
    model: Any = None  # the trained nn.Module, attached by the search


def _fmt(key: str, value: float) -> str:
    unit = {"latency_ms": " ms", "memory_mb": " MB", "train_seconds": " s"}.get(key, "")
    return f"{value:,.0f}{unit}" if key in ("params", "flops") else f"{value:.3g}{unit}"


def _within_point(q: pd.Series, best: float, higher: bool) -> pd.Series:
    return q >= best - POINT if higher else q <= best * (1 + POINT)


def recommend(df: pd.DataFrame, limits: dict[str, float], metric: str, *, higher_is_better: bool) -> Recommendation:
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
        return _closest(done, limits, q, losers)
    best = feasible.sort_values([q, "val_loss", "params"], ascending=[not higher_is_better, True, True]).iloc[0]
    reasons = [f"best validation {metric} ({best[q]:.4f}; test {best.get(f'test_{metric}', float('nan')):.4f}) "
               f"of the {len(feasible)} completed candidates that meet every constraint"]
    stronger = done[done[q].map(lambda v: better(v, best[q]))]
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
                       f"{nxt['latency_ms'] / best['latency_ms']:.1f}x the latency and {nxt['params'] / best['params']:.1f}x the parameters")
    close = feasible[_within_point(feasible[q], best[q], higher_is_better)].sort_values("params").iloc[0]
    if close["trial"] != best["trial"]:
        reasons.append(f"within one point: {close['model']} (val {close[q]:.4f}) with "
                       f"{close['params'] / best['params']:.2g}x the parameters and {close['latency_ms'] / best['latency_ms']:.2g}x the latency")
    else:
        reasons.append("it is also the smallest model within one point of the best")
    headline = f"use {best['model']} (trial {int(best['trial'])})"
    return Recommendation(int(best["trial"]), True, headline, reasons + losers, best.to_dict())


def _closest(done: pd.DataFrame, limits: dict[str, float], q: str, losers: list[str]) -> Recommendation:
    def total_excess(row: pd.Series) -> float:
        return sum(v / lim - 1 for v, lim in violations(limits, row.to_dict()).values())

    scored = done.assign(_excess=done.apply(total_excess, axis=1)).sort_values(["_excess", q])
    near = scored.iloc[0]
    broken = violations(limits, near.to_dict())
    relax = "; ".join(f"relax {k} to {_fmt(FIGURE_OF[k], v)}" for k, (v, _) in broken.items())
    return Recommendation(int(near["trial"]), False, "no candidate meets every constraint", [
        f"closest: {near['model']} (val {near[q]:.4f}), which breaks " + ", ".join(
            f"{k} ({_fmt(FIGURE_OF[k], v)} > {lim:g})" for k, (v, lim) in broken.items()),
        f"to accept it: {relax}", *losers], near.drop(labels="_excess").to_dict())


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
