"""After the last trial: rank, recommend, and save the row that won, so every file of the run folder agrees.

``best/`` holds the winning row's model: a trial's model, or the compressed variant when that row won (its quantized
ONNX graph, its pruned weights). Under k-fold validation (or ``retrain_on_full``) a float winner is retrained on every
non-test row first. The run folder then holds, for the report and every later command to read: ``leaderboard.csv``
(every row, compressed ones too), ``pareto.csv``, ``recommendation.json``, ``history.json`` (learning curves),
``estimates.json`` (the winner's estimated costs), ``data_summary.json`` and ``task.json``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import optuna
import pandas as pd

from sizeup._io import write_json
from sizeup.errors import SizeupError
from sizeup.selection.leaderboard import pareto_front
from sizeup.selection.private import private_run, search_privacy
from sizeup.selection.recommend import Recommendation, recommend
from sizeup.selection.trial import SearchContext

__all__ = ["finish", "write_run_files", "HISTORY", "TASK", "ESTIMATES", "DATA_SUMMARY"]

HISTORY, TASK, ESTIMATES, DATA_SUMMARY = "history.json", "task.json", "estimates.json", "data_summary.json"
SCALING = "scaling.json"


def finish(study: optuna.Study, ctx: SearchContext, board: pd.DataFrame, *, higher: bool,
           export: bool) -> tuple[Recommendation, dict[str, Any]]:
    """Recommend a row of ``board``, save its model in ``best/`` and write the run's files; returns the
    recommendation (with ``.model`` attached) and what saving did (retraining, the ONNX export)."""
    rec = recommend(board, ctx.limits, ctx.metric, higher_is_better=higher, validation=ctx.plan.describe())
    baseline = ctx.data.info.notes.get("baseline")
    if baseline and rec.row and rec.row.get("val_perplexity") is not None:
        from sizeup.data.bigram import versus_baseline

        rec.reasons.append(versus_baseline(baseline, rec.row["val_perplexity"]))
    extra: dict[str, Any] = {}
    if rec.id is not None:
        extra = _save_winner(study, ctx, rec, export=export)
        test = f"test_{ctx.metric}"  # the saved model's own test score (the retrained one's, if it was retrained)
        extra["best_test"] = {test: (extra.get("retrained") or {}).get(test, rec.row.get(test))}
    scaling = _scaling(board, ctx, higher)
    bigger = scaling.sentence(str(rec.row.get("family"))) if rec.row is not None else None
    if bigger:
        rec.reasons.append(bigger)
    spent = search_privacy(study, ctx.task)
    if spent is not None:
        extra["privacy"] = spent
        rec.reasons.append(privacy_reason(rec.row, spent))
    write_run_files(study, ctx, board, rec, extra, higher=higher)
    return rec, extra


def _save_winner(study: optuna.Study, ctx: SearchContext, rec: Recommendation, *, export: bool) -> dict[str, Any]:
    from sizeup.checkpoint import copy_model, load_model

    row, out = rec.row, ctx.out_dir
    if not row.get("model_dir"):
        raise SizeupError(f"the recommended row {rec.id} has no saved model; the run folder {out} is incomplete")
    best = copy_model(out / row["model_dir"], out / "best")
    extra: dict[str, Any] = {"saved_from": row["model_dir"]}
    rec.model = load_model(best)
    if not row.get("compression") and (ctx.plan.kfold or ctx.task.search.retrain_on_full):
        extra["retrained"] = _retrain(study, ctx, rec)
    if export:
        extra.update(_export(rec.model, ctx, best))
    return extra


def _retrain(study: optuna.Study, ctx: SearchContext, rec: Recommendation) -> dict[str, Any]:
    """Retrain the recommended configuration on train + validation and make it the model in ``best/``."""
    from sizeup._io import read_json
    from sizeup.checkpoint import save_model
    from sizeup.selection.retrain import retrain_on_full

    attrs = study.trials[rec.trial].user_attrs
    settings = read_json(ctx.out_dir / "trials" / str(rec.trial) / "config.json").get("train", {})
    epochs = int(attrs.get("best_epoch", attrs.get("epochs", 1)))
    rec.model, figures = retrain_on_full(rec.model, ctx.data, ctx.task, settings=settings, epochs=epochs, metric=ctx.metric,
                                         private=private_run)
    save_model(rec.model, ctx.data.info, ctx.out_dir / "best", extra={"trial": rec.trial, "train": settings, **figures})
    return figures


def _export(model, ctx: SearchContext, best: Path) -> dict[str, Any]:
    """``best/model.onnx``, checked by onnxruntime against the model; a quantized or classic winner already is one."""
    from sizeup.export import ONNX_FILE, ONNX_TOLERANCE, check_onnx, export_onnx
    from sizeup.training.run import example_inputs

    path = best / ONNX_FILE
    if getattr(model, "path", None) == path:
        return {"onnx": str(path), "onnx_note": "the recommended model is an ONNX graph already"}
    inputs = example_inputs(ctx.data.info, ctx.data.test, 8)
    try:
        export_onnx(model, inputs, path)
    except SizeupError as exc:  # includes a missing onnx extra: the model in best/ stays usable from PyTorch
        return {"onnx": None, "note": str(exc)}
    diff = check_onnx(path, model, inputs)
    return {"onnx": str(path), "onnx_max_abs_diff": diff, "onnx_matches": diff <= ONNX_TOLERANCE}


def write_run_files(study: optuna.Study, ctx: SearchContext, board: pd.DataFrame, rec: Recommendation,
                    extra: dict[str, Any], *, higher: bool) -> None:
    from sizeup.data.summary import summarize_data

    out, metric = ctx.out_dir, ctx.metric
    board.to_csv(out / "leaderboard.csv", index=False)
    pareto_front(board, f"val_{metric}", "latency_ms", higher_is_better=higher).to_csv(out / "pareto.csv", index=False)
    write_json(out / "recommendation.json", {
        "id": rec.id, "trial": rec.trial, "feasible": rec.feasible, "headline": rec.headline, "reasons": rec.reasons,
        "metric": metric, "higher_is_better": higher, "constraints": ctx.limits, "families": ctx.families,
        "validation": {"kind": ctx.plan.kind, "folds": ctx.plan.folds, "why": ctx.plan.why},
        "candidate": rec.row, **extra})
    write_json(out / HISTORY, {str(t.number): {"history": t.user_attrs.get("history") or [],
                                               "finished_s": _since(study, t)} for t in study.get_trials(deepcopy=False)})
    write_json(out / TASK, ctx.task.model_dump(mode="json"))
    write_json(out / DATA_SUMMARY, summarize_data(ctx.data))
    if rec.row is not None and (out / "best" / "config.json").is_file():
        _write_estimates(out)


def _scaling(board: pd.DataFrame, ctx: SearchContext, higher: bool):
    """Quality against size per family over the trials (``scaling.fit_leaderboard``), written as ``scaling.json``
    for the report; a family with too few sizes is listed as refused, with the reason."""
    from sizeup.scaling import fit_leaderboard

    trials = board[board["compression"].fillna("") == ""]
    try:
        fits = fit_leaderboard(trials, ctx.metric, higher, n_train=len(ctx.data.train))
    except (ValueError, ArithmeticError, RuntimeError) as exc:  # a numerical failure of the fit, not of the search
        from sizeup.scaling import BoardScaling

        fits = BoardScaling(ctx.metric, higher, refused={"all": f"the fit failed: {type(exc).__name__}: {exc}"})
    fits.write(ctx.out_dir / SCALING)
    return fits


def _since(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> float | None:
    starts = [t.datetime_start for t in study.get_trials(deepcopy=False) if t.datetime_start is not None]
    if trial.datetime_complete is None or not starts:
        return None
    return (trial.datetime_complete - min(starts)).total_seconds()


def _write_estimates(out: Path) -> None:
    """The winner's estimated memory by component, FLOPs by module and wider versions (``estimation.winner_costs``)."""
    from sizeup._io import read_json
    from sizeup.estimation import winner_costs

    started = time.perf_counter()
    costs = winner_costs(read_json(out / "best" / "config.json"))
    write_json(out / ESTIMATES, {**costs, "seconds": time.perf_counter() - started})


def privacy_reason(row: dict[str, Any] | None, spent: dict[str, Any]) -> str:
    """One sentence: what the recommended model spent, and what the whole search did."""
    own = f"trained with DP-SGD at epsilon {row['epsilon']:.3g}, delta {spent['delta_target']:g}" if row and \
        row.get("epsilon") is not None else f"every candidate trained with DP-SGD (target epsilon {spent['epsilon_target']:g})"
    whole = (f"the search as a whole ({spent['trials']} trials that trained) is ({spent['epsilon']:.3g}, "
             f"{spent['delta']:.2g})-DP by basic composition")
    if spent["mode"] == "per-candidate":
        whole += "; each candidate alone is private, the choice among them is not (docs/privacy.md)"
    return f"{own}; {whole}"
