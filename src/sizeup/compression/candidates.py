"""``[search] compress``: compressed variants of a search's best candidates, as leaderboard rows (``family`` like
``cnn+int8``, ``id`` like ``12+int8``, a ``compression`` column, ``model_dir`` naming the compressed model's folder), so
the recommendation weighs a quantized large model against a small float one on the same measured figures. If one wins,
the search saves that compressed model, not the float one it came from.

The search calls :func:`add_compressed_rows` through its ``extend`` hook (``sizeup.api.search`` passes it), so
selection never imports compression.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sizeup.errors import SizeupError
from sizeup.selection.private import TRAINING_METHODS

__all__ = ["add_compressed_rows", "TOP_K"]

TOP_K = 2  # candidates compressed: the best completed ones by validation quality


def add_compressed_rows(board: pd.DataFrame, ctx: Any) -> pd.DataFrame:
    """``board`` plus one row per (top candidate, method); each compressed model stays in
    ``trials/<n>/compressed/<method>``."""
    from sizeup.selection.leaderboard import rank
    from sizeup.training import higher_is_better

    methods = ctx.task.search.compress
    done = board[(board["status"] == "completed") & (board["compression"] == "")].head(TOP_K)
    if not methods or done.empty:
        return board
    rows = [_variant(cand.to_dict(), m, ctx) for _, cand in done.iterrows() for m in methods]
    return rank(pd.concat([board, pd.DataFrame(rows)], ignore_index=True), ctx.metric,
                higher_is_better=higher_is_better(ctx.metric))


def _variant(cand: dict[str, Any], text: str, ctx: Any) -> dict[str, Any]:
    from sizeup._methods import parse_method
    from sizeup.checkpoint import load_model
    from sizeup.compression._impl import Figures, compress_source
    from sizeup.compression._source import Source
    from sizeup.selection.constraints import describe, violations
    from sizeup.training import Objective, evaluate

    method = parse_method(text)
    trial_dir = ctx.out_dir / cand["model_dir"]
    info, metric = ctx.data.info, ctx.metric
    row = {**cand, "id": f"{cand['id']}+{method.slug}", "family": f"{cand['family']}+{method.name}",
           "compression": method.text, f"val_{metric}_se": None}
    if ctx.task.privacy.enabled and method.name in TRAINING_METHODS:
        return {**row, "status": "infeasible", "feasible": False, "model_dir": "",
                "reason": f"{method.name} trains on the private rows again without DP-SGD; int8, int4, fp16 and bf16 "
                          "are post-processing and keep the guarantee"}
    source = Source(trial_dir, load_model(trial_dir), ctx.task, ctx.data)
    before = Figures("before", cand["model"], "pytorch", cand.get(f"test_{metric}") or float("nan"), int(cand["params"]),
                     (trial_dir / "model.safetensors").stat().st_size / 2**20, cand["latency_ms"], cand["latency_ms"],
                     cand["latency_ms"], cand["throughput"], cand["memory_mb"])
    try:
        result = compress_source(source, method, out=trial_dir / "compressed" / method.slug, force=True, before=before,
                                 latency_budget_s=0.5)
    except SizeupError as exc:  # e.g. a graph that cannot be pruned: the float candidate stays, the reason is kept
        return {**row, "status": "failed", "feasible": False, "model_dir": "", "reason": str(exc)}
    # the trial's saved model validated on the first fold's rows (all of them under hold-out); so does its variant
    val = evaluate(result.model, ctx.folds[0].val, Objective(info.task), n_classes=info.n_outputs, se_of=metric)
    a = result.after
    figures = {"params": a.params, "latency_ms": a.latency_ms, "throughput": a.throughput, "memory_mb": a.memory_mb,
               "flops": cand["flops"] if method.quantized else _flops(result.model, ctx),
               "train_seconds": (cand.get("train_seconds") or 0.0) + _extra_seconds(result.details)}
    broken = violations(ctx.limits, figures)
    return {**row, **figures, "model": a.model, "status": "completed", "feasible": not broken,
            f"val_{metric}": val[metric], f"val_{metric}_se": val[f"{metric}_se"], "val_loss": val["loss"],
            f"test_{metric}": a.quality, "reason": ("measured: " + describe(broken)) if broken else "",
            "model_dir": str(result.out_dir.relative_to(ctx.out_dir))}


def _flops(model, ctx: Any) -> int:
    from sizeup.measurement import count_flops
    from sizeup.training.run import example_inputs

    return count_flops(model, example_inputs(ctx.data.info, ctx.data.test, 1))


def _extra_seconds(details: dict[str, Any]) -> float:
    return float(details.get("fine_tune_seconds", 0.0) + details.get("distill_seconds", 0.0))
