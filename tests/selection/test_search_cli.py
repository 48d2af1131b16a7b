"""``sizeup search`` as a user runs it: a subprocess, real files, a real kill -9."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState

from search_helpers import SIZEUP, write_task

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*SIZEUP, *args], capture_output=True, text=True, timeout=timeout)


def test_search_prints_json_and_writes_the_run_folder(tiny_task, tmp_path):
    out = tmp_path / "run"
    proc = run_cli("search", str(tiny_task), "--trials", "3", "--max-epochs", "2", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["recommended"]["feasible"] and len(payload["leaderboard"]) == 3
    rec = json.loads((out / "recommendation.json").read_text())
    assert rec["onnx_matches"] is True and (out / "best" / "model.onnx").is_file()
    assert "<table>" in (out / "report.html").read_text()


def test_search_with_a_bad_task_file_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[data]\nsource = "digits"\n[search]\nfamilies = ["resnet"]\n')
    proc = run_cli("search", str(bad), "--trials", "1", "--out", str(tmp_path / "run"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "unknown model family 'resnet'" in proc.stderr
    assert "Traceback" not in proc.stderr


def _finished_count(db: Path, name: str) -> int:
    if not db.exists():
        return 0
    try:
        study = optuna.load_study(study_name=name, storage=f"sqlite:///{db}")
    except Exception:  # noqa: BLE001 - the study may not be created yet
        return 0
    return len(study.get_trials(deepcopy=False, states=FINISHED))


def _outcome(out: Path) -> list[tuple]:
    board = pd.read_csv(out / "leaderboard.csv").sort_values("trial")
    return [(int(r.trial), r.model, r.status, round(float(r.val_accuracy), 6)) for r in board.itertuples()]


def test_search_killed_with_sigkill_resumes_to_the_same_completed_trials(tmp_path):
    task = write_task(tmp_path, name="resume")
    args = ("--trials", "7", "--max-epochs", "6")
    straight = tmp_path / "straight"
    assert run_cli("search", str(task), *args, "--out", str(straight)).returncode == 0

    killed = tmp_path / "killed"
    proc = subprocess.Popen([*SIZEUP, "search", str(task), *args, "--out", str(killed)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _finished_count(killed / "study.db", "resume") < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.kill()  # SIGKILL: no cleanup runs
    proc.wait()
    assert _finished_count(killed / "study.db", "resume") < 7, "the search ended before it could be killed"

    resumed = run_cli("search", str(task), *args, "--out", str(killed), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert _outcome(killed) == _outcome(straight)


@pytest.mark.slow
def test_parallel_workers_share_one_study(tiny_task, tmp_path):
    out = tmp_path / "run"
    proc = run_cli("search", str(tiny_task), "--trials", "4", "--max-epochs", "2", "--workers", "2", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert 4 <= _finished_count(out / "study.db", "tiny") <= 5
