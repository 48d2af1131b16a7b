"""The recommendation respects the noise of its scores: Breiman's one-standard-error rule, then the cheapest."""

from __future__ import annotations

import pandas as pd

from sizeup.selection.recommend import recommend


def _board(rows):
    base = {"status": "completed", "feasible": True, "flops": 1, "throughput": 1.0, "memory_mb": 1.0,
            "train_seconds": 1.0, "test_accuracy": 0.9, "compression": "", "model_dir": "trials/0"}
    return pd.DataFrame([{**base, **r, "id": str(r["trial"])} for r in rows])


CONFIDENT_LARGE = {"trial": 0, "family": "mlp", "model": "mlp(width=512, depth=4)", "val_accuracy": 1.0,
                   "val_accuracy_se": 0.02, "val_loss": 0.001, "params": 300_000, "latency_ms": 0.50}
TIED_SMALL = {"trial": 1, "family": "linear", "model": "linear()", "val_accuracy": 0.985,
              "val_accuracy_se": 0.02, "val_loss": 0.20, "params": 400, "latency_ms": 0.01}
WORSE_TINY = {"trial": 2, "family": "linear", "model": "linear(dropout=0.5)", "val_accuracy": 0.90,
              "val_accuracy_se": 0.03, "val_loss": 0.40, "params": 300, "latency_ms": 0.009}


def test_a_cheaper_model_statistically_tied_with_a_more_confident_one_is_recommended():
    rec = recommend(_board([CONFIDENT_LARGE, TIED_SMALL, WORSE_TINY]), {}, "accuracy", higher_is_better=True)
    assert rec.trial == 1 and rec.id == "1"
    assert "2 of the 3 completed candidates" in rec.reasons[0] and "cheapest" in rec.reasons[0]


def test_a_difference_larger_than_the_standard_error_is_respected():
    sure = {**CONFIDENT_LARGE, "val_accuracy_se": 0.005}
    rec = recommend(_board([sure, TIED_SMALL]), {}, "accuracy", higher_is_better=True)
    assert rec.trial == 0 and "no other lies within one standard error" in rec.reasons[0]


def test_among_tied_models_of_equal_latency_the_fewer_parameters_win():
    a = {**TIED_SMALL, "trial": 3, "params": 5_000, "latency_ms": 0.0102}
    rec = recommend(_board([CONFIDENT_LARGE, a, TIED_SMALL]), {}, "accuracy", higher_is_better=True)
    assert rec.trial == 1  # 0.0102 ms and 0.0100 ms are the same latency; 400 parameters beat 5,000


def test_for_a_lower_is_better_metric_the_band_lies_above_the_best():
    rows = [{**CONFIDENT_LARGE, "val_rmse": 1.00, "val_rmse_se": 0.10}, {**TIED_SMALL, "val_rmse": 1.08, "val_rmse_se": 0.1},
            {**WORSE_TINY, "val_rmse": 1.50, "val_rmse_se": 0.1}]
    rec = recommend(_board(rows), {}, "rmse", higher_is_better=False)
    assert rec.trial == 1


def test_an_unknown_standard_error_falls_back_to_the_best_score():
    rows = [{**CONFIDENT_LARGE, "val_accuracy_se": float("nan")}, TIED_SMALL]
    assert recommend(_board(rows), {}, "accuracy", higher_is_better=True).trial == 0
