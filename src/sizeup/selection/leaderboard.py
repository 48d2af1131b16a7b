"""The study as data: one row per candidate, each with its own ``id``, and the Pareto front of quality against cost.

A trial's row has the trial number as its id; a compressed variant of it adds the method (``12+int8``). ``model_dir``
is the folder, relative to the run folder, that holds the row's saved model, so whichever row wins is the model saved.
"""

from __future__ import annotations

import pandas as pd
import optuna
from optuna.trial import TrialState

__all__ = ["leaderboard", "pareto_front", "rank", "STATUS_ORDER", "COLUMNS"]

STATUS_ORDER = {"completed": 0, "pruned": 1, "infeasible": 2, "failed": 3, "running": 4}
COLUMNS = ["id", "trial", "family", "model", "status", "feasible", "params", "flops", "latency_ms", "throughput",
           "memory_mb", "train_seconds", "epochs", "best_epoch", "folds", "augment", "augment_strength",
           "latency_threads", "device"]
TAIL = ["val_loss", "epsilon", "rounds", "bytes_total", "train_energy_j", "energy_j_per_1k", "energy_source", "model_dir", "compression",
        "load_average", "reason"]


def _status(t: optuna.trial.FrozenTrial) -> str:
    status = t.user_attrs.get("status") or {TrialState.FAIL: "failed", TrialState.RUNNING: "running",
                                            TrialState.WAITING: "running", TrialState.PRUNED: "pruned"}.get(t.state, "failed")
    return "failed" if t.state == TrialState.FAIL and status == "completed" else status


def leaderboard(study: optuna.Study, metric: str, *, higher_is_better: bool) -> pd.DataFrame:
    """Every trial with its figures; completed ones first, best validation quality on top."""
    q = f"val_{metric}"
    rows = []
    for t in study.get_trials(deepcopy=False):
        a, status = t.user_attrs, _status(t)
        reason = a.get("reason", "")
        if status == "failed" and not reason:
            reason = t.system_attrs.get("fail_reason", "interrupted or crashed")
        rows.append({"id": str(t.number), "trial": t.number, "family": a.get("family", t.params.get("family")),
                     "model": a.get("model", ""), "status": status,
                     "feasible": bool(a.get("feasible", False)) and status == "completed",
                     **{k: a.get(k) for k in COLUMNS[6:]}, q: a.get(q), f"{q}_se": a.get(f"{q}_se"),
                     f"test_{metric}": a.get(f"test_{metric}"), "val_loss": a.get("val_loss"),
                     **{k: a.get(k) for k in ("epsilon", "rounds", "bytes_total", "train_energy_j", "energy_j_per_1k", "energy_source")},
                     "model_dir": f"trials/{t.number}" if status == "completed" else "", "compression": "",
                     "load_average": _first(a.get("load_average")), "reason": reason})
    df = pd.DataFrame(rows, columns=[*COLUMNS, q, f"{q}_se", f"test_{metric}", *TAIL])
    return rank(df, metric, higher_is_better=higher_is_better)


def _first(load: list[float] | None) -> float | None:
    return load[0] if load else None  # the 1-minute load average when the candidate was measured


def rank(df: pd.DataFrame, metric: str, *, higher_is_better: bool) -> pd.DataFrame:
    """Completed candidates first, best validation quality on top (also after compressed rows are added)."""
    if df.empty:
        return df
    df = df.assign(_order=df["status"].map(STATUS_ORDER).fillna(9))
    # a saturated validation metric (e.g. 100 % on a small split) ties; the validation loss breaks it
    df = df.sort_values(["_order", f"val_{metric}", "val_loss", "params"], ascending=[True, not higher_is_better, True, True],
                        na_position="last").drop(columns="_order")
    return df.reset_index(drop=True)


def pareto_front(df: pd.DataFrame, quality: str, cost: str, *, higher_is_better: bool) -> pd.DataFrame:
    """Completed candidates that no other beats on both quality and ``cost`` (lower cost is better)."""
    done = df[(df["status"] == "completed") & df[quality].notna() & df[cost].notna()]
    q = done[quality] if higher_is_better else -done[quality]
    keep = []
    for i in done.index:
        dominated = ((q >= q[i]) & (done[cost] <= done.at[i, cost]) & ((q > q[i]) | (done[cost] < done.at[i, cost]))).any()
        if not dominated:
            keep.append(i)
    return done.loc[keep].sort_values(cost)
