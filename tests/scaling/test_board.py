"""The fit over a finished search's leaderboard: per family, best trial per size; refusals listed, not raised."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sizeup.errors import SizeupError
from sizeup.scaling import fit_leaderboard


def board() -> pd.DataFrame:
    """A leaderboard.csv's columns: an MLP that gains with size (two learning rates per size), a CNN that does
    not, an RNN with three sizes, and a failed trial."""
    rows, trial = [], 0
    for params, acc in [(1_000, 0.60), (2_000, 0.68), (4_000, 0.74), (8_000, 0.785), (16_000, 0.815)]:
        for worse in (0.0, 0.1):  # the same size at a worse learning rate: its best trial must be kept
            rows.append({"trial": trial, "family": "mlp", "model": f"mlp(params={params})", "status": "completed",
                         "params": params, "flops": 2 * params, "latency_ms": 0.05 * (params / 1000) ** 0.3,
                         "epochs": 10, "val_accuracy": acc - worse + 0.01, "test_accuracy": acc - worse})
            trial += 1
    for params in (500, 1_000, 2_000, 4_000):
        rows.append({"trial": trial, "family": "cnn", "model": "cnn", "status": "completed", "params": params,
                     "flops": params, "latency_ms": 0.1, "epochs": 10, "val_accuracy": 0.9, "test_accuracy": 0.9})
        trial += 1
    for params in (700, 1_400, 2_800):
        rows.append({"trial": trial, "family": "rnn", "model": "rnn", "status": "completed", "params": params,
                     "flops": params, "latency_ms": 0.3, "epochs": 10, "val_accuracy": 0.5, "test_accuracy": 0.5})
        trial += 1
    rows.append({"trial": trial, "family": "mlp", "model": "mlp(nan)", "status": "failed", "params": 64_000,
                 "flops": None, "latency_ms": None, "epochs": 1, "val_accuracy": None, "test_accuracy": None})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def scaling():
    return fit_leaderboard(board(), "accuracy", True, n_train=4000, bootstrap=50)


def test_each_family_is_fitted_on_its_best_trial_per_size(scaling):
    mlp = scaling.fits["mlp"]
    assert [p["params"] for p in mlp.points] == [1_000, 2_000, 4_000, 8_000, 16_000]
    assert [p["value"] for p in mlp.points] == [0.60, 0.68, 0.74, 0.785, 0.815]  # the worse runs were dropped
    assert mlp.points[0]["train_flops"] == 3 * 2_000 * 10 * 4000
    assert 0.1 < mlp.by_params.alpha < 2 and mlp.by_compute is not None


def test_families_that_cannot_be_fitted_are_refused_with_their_reason(scaling):
    assert set(scaling.fits) == {"mlp"}
    assert "does not improve with size" in scaling.refused["cnn"]
    assert "at least 4 distinct sizes" in scaling.refused["rnn"] and "got 3" in scaling.refused["rnn"]


def test_sentence_says_what_a_4x_larger_model_would_likely_gain_and_cost(scaling):
    text = scaling.sentence("mlp")
    f = next(f for f in scaling.fits["mlp"].forecasts if f.multiple == 4.0)
    assert text.startswith("a 4× larger mlp (64 k parameters) would likely gain +")
    assert f"for {4 ** 0.3:.2g}× the latency" in text and "90 % interval" in text
    assert 0 < f.gain_lo < f.gain < f.gain_hi and f.value > 0.815
    assert scaling.sentence("cnn") is None


def test_the_json_file_form_round_trips_with_curves_and_refusals(scaling, tmp_path):
    path = scaling.write(tmp_path / "scaling.json")
    payload = json.loads(path.read_text())
    assert payload["kind"] == "search" and payload["metric"] == "accuracy" and payload["unit"] == "points"
    mlp = payload["families"]["mlp"]
    assert [f["multiple"] for f in mlp["forecasts"]] == [2.0, 4.0, 10.0]
    curve = mlp["curve"]
    assert len(curve["lo"]) == len(curve["band_params"]) and np.all(np.array(curve["lo"]) <= np.array(curve["hi"]))
    assert set(payload["refused"]) == {"cnn", "rnn"}


def test_a_board_without_the_metric_column_is_refused_in_one_line():
    with pytest.raises(SizeupError, match="no column 'test_macro_f1'"):
        fit_leaderboard(board(), "macro_f1", True)
