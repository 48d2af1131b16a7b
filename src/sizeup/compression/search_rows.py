"""``[search] compress``: compressed variants of the best candidates join the leaderboard as extra rows
(``family`` like ``cnn+int8``, a ``compression`` column), so the Pareto front and the recommendation
weigh a quantized large model against a small float one on the same measured figures."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sizeup.errors import SizeupError

__all__ = ["add_compressed_rows", "TOP_K"]

TOP_K = 2  # candidates compressed: the best completed ones by validation quality


def add_compressed_rows(board: pd.DataFrame, ctx: Any, *, higher_is_better: bool) -> pd.DataFrame:
    """Return ``board`` plus one row per (top candidate, method); the compressed model stays in
    ``trials/<n>/compressed/<method>`` (the row's ``compressed_dir``)."""
    from sizeup.selection.leaderboard import rank

    methods = ctx.task.search.compress
    board = board.assign(compression="", compressed_dir="") if "compression" not in board else board
    done = board[board["status"] == "completed"].head(TOP_K)
    if not methods or done.empty:
        return board
    rows = [row for _, cand in done.iterrows() for m in methods if (row := _variant(cand.to_dict(), m, ctx)) is not None]
    if not rows:
        return board
    return rank(pd.concat([board, pd.DataFrame(rows)], ignore_index=True), ctx.metric, higher_is_better=higher_is_better)


def _variant(cand: dict[str, Any], text: str, ctx: Any) -> dict[str, Any] | None:
    from sizeup.checkpoint import load_model
    from sizeup.compression._impl import Figures, compress_source
    from sizeup.compression._source import Source
    from sizeup.compression.methods import parse_method
    from sizeup.selection.constraints import describe, violations
    from sizeup.training import Objective, evaluate

    method, trial_dir = parse_method(text), ctx.out_dir / "trials" / str(int(cand["trial"]))
    info, metric = ctx.data.info, ctx.metric
    source = Source(trial_dir, load_model(trial_dir), ctx.task, ctx.data)
    before = Figures("before", cand["model"], "pytorch", cand.get(f"test_{metric}") or float("nan"), int(cand["params"]),
                     (trial_dir / "model.safetensors").stat().st_size / 2**20, cand["latency_ms"], cand["latency_ms"],
                     cand["latency_ms"], cand["throughput"], cand["memory_mb"])
    try:
        result = compress_source(source, method, out=trial_dir / "compressed" / method.slug, force=True, before=before,
                                 latency_budget_s=0.5)
    except SizeupError as exc:  # e.g. a graph that cannot be pruned: the float candidate stays, the reason is kept
        return {**cand, "family": f"{cand['family']}+{method.name}", "status": "failed", "feasible": False,
                "compression": method.text, "compressed_dir": "", "reason": str(exc)}
    val = evaluate(result.model, ctx.data.val, Objective(info.task), n_classes=info.n_outputs)
    a = result.after
    figures = {"params": a.params, "latency_ms": a.latency_ms, "throughput": a.throughput, "memory_mb": a.memory_mb,
               "flops": cand["flops"] if method.quantized else _flops(result.model, ctx),
               "train_seconds": (cand.get("train_seconds") or 0.0) + _extra_seconds(result.details)}
    broken = violations(ctx.limits, figures)
    return {**cand, **figures, "family": f"{cand['family']}+{method.name}", "model": a.model, "status": "completed",
            "feasible": not broken, f"val_{metric}": val[metric], "val_loss": val["loss"], f"test_{metric}": a.quality,
            "reason": ("measured: " + describe(broken)) if broken else "", "compression": method.text,
            "compressed_dir": str(result.out_dir)}


def _flops(model, ctx: Any) -> int:
    from sizeup.measurement import count_flops
    from sizeup.training.run import example_inputs

    return count_flops(model, example_inputs(ctx.data.info, ctx.data.test, 1))


def _extra_seconds(details: dict[str, Any]) -> float:
    return float(details.get("fine_tune_seconds", 0.0) + details.get("distill_seconds", 0.0))
