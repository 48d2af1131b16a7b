"""The saved winner is the row that won, and bugs are never recorded as failed candidates."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import optuna
import pytest
import torch

import sizeup
from sizeup.errors import SearchCrashed
from sizeup.export import OnnxModel
from sizeup.selection import search

from search_helpers import SIZEUP, register_probe_family, unregister, write_task

HERE = Path(__file__).resolve().parent


@pytest.fixture
def broken_family():
    yield register_probe_family("broken_probe", "bug")
    unregister("broken_probe")


def test_a_bug_in_a_trial_stops_the_search_and_writes_its_traceback(tmp_path, broken_family, one_thread):
    task = write_task(tmp_path, families=("linear", broken_family))
    with pytest.raises(SearchCrashed, match=r"trial 1 \(broken_probe\(width=4\)\) crashed: KeyError") as err:
        search(task, trials=3, max_epochs=2, out=tmp_path / "run", export=False)
    log = tmp_path / "run" / "errors" / "trial-1.log"
    assert str(log) in str(err.value) and "Traceback" in log.read_text() and "KeyError: 'missing'" in log.read_text()
    kept = optuna.load_study(study_name="tiny", storage=f"sqlite:///{tmp_path / 'run' / 'study.db'}").trials
    assert kept[0].state == optuna.trial.TrialState.COMPLETE  # the finished trial is kept
    assert kept[1].state == optuna.trial.TrialState.FAIL


def test_the_cli_reports_a_crashed_trial_on_one_line_with_exit_code_1(tmp_path):
    plugin = tmp_path / "crash_plugin.py"
    plugin.write_text(f"import sys\nsys.path.insert(0, {str(HERE)!r})\nfrom search_helpers import register_probe_family\n"
                      "register_probe_family('broken_probe', 'bug')\nfrom sizeup.cli import main\nmain()\n")
    task = write_task(tmp_path, families=("broken_probe",))
    proc = subprocess.run([SIZEUP[0], str(plugin), "search", str(task), "--trials", "1", "--max-epochs", "1",
                           "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr[-2000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "trial 0" in lines[0] and "errors/trial-0.log" in lines[0]
    assert "Traceback" not in proc.stderr


def _int8_wins(board, ctx):
    """The search's own compressed rows, with the int8 variant made the best (as if it had scored highest)."""
    from sizeup.compression.candidates import add_compressed_rows
    from sizeup.selection.leaderboard import rank

    board = add_compressed_rows(board, ctx)
    variant = board["compression"] == "int8"
    board.loc[variant, ["val_accuracy", "val_accuracy_se"]] = [1.0, 0.0]
    return rank(board, "accuracy", higher_is_better=True)


def test_a_compressed_winner_is_saved_as_the_compressed_model(tmp_path, one_thread):
    task = write_task(tmp_path, families=("mlp",), extra='compress = ["int8"]')
    result = search(task, trials=1, max_epochs=2, out=tmp_path / "run", extend=_int8_wins)
    rec = result.recommended
    assert rec.id == f"{rec.trial}+int8" and rec.row["compression"] == "int8"
    best = tmp_path / "run" / "best"
    variant = tmp_path / "run" / rec.row["model_dir"]
    assert (best / "model.onnx").read_bytes() == (variant / "model.onnx").read_bytes()
    assert not (best / "model.safetensors").exists()
    assert json.loads((best / "config.json").read_text())["compression"]["method"] == "int8"
    assert isinstance(rec.model, OnnxModel) and isinstance(sizeup.load(best), OnnxModel)
    saved = json.loads((tmp_path / "run" / "recommendation.json").read_text())
    assert saved["id"] == rec.id and saved["saved_from"] == rec.row["model_dir"]
    x = torch.rand(4, 1, 8, 8)
    assert torch.allclose(sizeup.load(best)(x), OnnxModel(variant / "model.onnx")(x))
