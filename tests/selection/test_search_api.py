"""The search from Python: results, constraints, failures, resume semantics."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import sizeup
from sizeup.errors import SizeupError
from sizeup.selection import search

from search_helpers import register_probe_family, unregister, write_task


def test_search_returns_leaderboard_pareto_and_a_trained_recommendation(tiny_task, tmp_path):
    result = search(tiny_task, trials=4, max_epochs=3, out=tmp_path / "run", export=False)
    board = result.leaderboard
    assert len(board) == 4 and set(board["family"]) <= {"linear", "mlp"}
    assert {"params", "flops", "latency_ms", "val_accuracy", "test_accuracy", "status"} <= set(board.columns)
    assert result.recommended.feasible and result.recommended.trial is not None
    assert isinstance(result.recommended.model, nn.Module)
    assert set(result.pareto["trial"]) <= set(board["trial"])
    assert not (tmp_path / "run" / "report.html").exists()  # the selection stage writes files; api.search the report
    for name in ("study.db", "leaderboard.csv", "pareto.csv", "recommendation.json", "history.json", "task.json",
                 "estimates.json", "data_summary.json", "best/model.safetensors", "best/config.json"):
        assert (tmp_path / "run" / name).is_file(), name
    reloaded = sizeup.load(tmp_path / "run" / "best")
    x = torch.rand(3, 1, 8, 8)
    assert torch.allclose(reloaded(x), result.recommended.model.eval()(x))


def test_every_family_baseline_runs_first_and_is_not_pruned(tiny_task, tmp_path):
    result = search(tiny_task, trials=2, max_epochs=3, out=tmp_path / "run", export=False)
    first = result.leaderboard.sort_values("trial").head(2)
    assert list(first["family"]) == ["linear", "mlp"]
    assert set(first["status"]) == {"completed"}


def test_constraints_reject_candidates_before_training(tmp_path):
    task = write_task(tmp_path, constraints="[constraints]\nmax_params = 1000")
    result = search(task, trials=4, max_epochs=2, out=tmp_path / "run", export=False)
    board = result.leaderboard
    infeasible = board[board["status"] == "infeasible"]
    assert len(infeasible) >= 1 and set(infeasible["family"]) == {"mlp"}
    assert infeasible["train_seconds"].isna().all()  # rejected in seconds, never trained
    assert all("max_params" in r for r in infeasible["reason"])
    assert result.recommended.feasible and result.recommended.row["params"] <= 1000


def test_nothing_feasible_names_the_closest_candidate_and_what_to_relax(tmp_path):
    task = write_task(tmp_path, constraints="[constraints]\nmax_train_seconds = 0.0001")
    result = search(task, trials=2, max_epochs=2, out=tmp_path / "run", export=False)
    rec = result.recommended
    assert not rec.feasible and rec.headline == "no candidate meets every constraint"
    assert any("relax max_train_seconds" in r for r in rec.reasons)


@pytest.fixture
def nan_family():
    yield register_probe_family("nan_probe", "nan")
    unregister("nan_probe")


def test_a_diverging_trial_fails_with_its_reason_and_the_search_goes_on(tmp_path, nan_family):
    task = write_task(tmp_path, families=(nan_family, "linear"))
    result = search(task, trials=2, max_epochs=2, out=tmp_path / "run", export=False)
    board = result.leaderboard.set_index("family")
    assert board.loc[nan_family, "status"] == "failed"
    assert "nan" in board.loc[nan_family, "reason"].lower()
    assert board.loc["linear", "status"] == "completed"
    assert result.recommended.row["family"] == "linear"


def test_rerunning_continues_the_study_without_repeating_finished_trials(tiny_task, tmp_path):
    first = search(tiny_task, trials=2, max_epochs=2, out=tmp_path / "run", export=False)
    again = search(tiny_task, trials=3, max_epochs=2, out=tmp_path / "run", export=False)
    assert len(first.leaderboard) == 2 and len(again.leaderboard) == 3
    merged = again.leaderboard.set_index("trial").loc[[0, 1], "val_accuracy"]
    assert list(merged) == list(first.leaderboard.set_index("trial").loc[[0, 1], "val_accuracy"])


def test_resuming_with_other_settings_is_refused_and_force_sets_the_old_run_aside(tmp_path):
    task = write_task(tmp_path)
    search(task, trials=1, max_epochs=2, out=tmp_path / "run", export=False)
    other = write_task(tmp_path, families=("linear",))
    with pytest.raises(SizeupError, match="other search settings"):
        search(other, trials=1, max_epochs=2, out=tmp_path / "run", export=False)
    search(other, trials=1, max_epochs=2, out=tmp_path / "run", export=False, force=True)
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("run.")]
    assert len(kept) == 1 and (kept[0] / "study.db").is_file()


def test_a_family_that_does_not_fit_the_data_is_refused_before_searching(tmp_path):
    task = write_task(tmp_path, families=("textcnn",))
    with pytest.raises(SizeupError, match="does not fit image input"):
        search(task, trials=1, out=tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_a_metric_that_does_not_apply_is_refused(tmp_path):
    task = write_task(tmp_path, extra='metric = "rmse"')
    with pytest.raises(SizeupError, match="metric = 'rmse' does not apply"):
        search(task, trials=1, out=tmp_path / "run")


def test_retrain_on_full_retrains_the_winner_on_train_and_validation(tmp_path):
    task = write_task(tmp_path, families=("linear",), extra="retrain_on_full = true")
    result = search(task, trials=1, max_epochs=3, out=tmp_path / "run", export=False)
    import json

    rec = json.loads((tmp_path / "run" / "recommendation.json").read_text())
    assert rec["retrained"]["retrained_on"] == "train+val" and 0 < rec["retrained"]["test_accuracy"] <= 1
    saved = json.loads((tmp_path / "run" / "best" / "config.json").read_text())
    assert saved["retrained_on"] == "train+val"
    assert isinstance(result.recommended.model, nn.Module)


def test_resume_without_a_study_is_refused(tiny_task, tmp_path):
    with pytest.raises(SizeupError, match="no study in .* to resume"):
        search(tiny_task, trials=1, out=tmp_path / "nothing", resume=True)


def test_resume_with_force_is_refused_by_the_python_api_and_the_run_is_left_alone(tiny_task, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "study.db").write_bytes(b"the user's study")
    with pytest.raises(SizeupError, match="resume=True and force=True contradict"):
        search(tiny_task, trials=1, out=run, resume=True, force=True)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("run.")]  # not set aside
    assert (run / "study.db").read_bytes() == b"the user's study"
