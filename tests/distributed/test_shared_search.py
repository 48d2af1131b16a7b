"""One search, many workers: a study on PostgreSQL, a Ray backend, and ``sizeup worker`` joining from outside."""

from __future__ import annotations

import json
import os

import pytest
from optuna.trial import TrialState

from sizeup.errors import SizeupError
from sizeup.selection import search
from sizeup.distributed.heartbeat import KEY

from dist_helpers import one_line_error, run_cli, write_task

FINISHED = {TrialState.COMPLETE, TrialState.PRUNED}


def _owners(study) -> set[int]:
    return {t.system_attrs[KEY]["pid"] for t in study.trials if t.system_attrs.get(KEY)}


def test_a_search_on_postgresql_is_joined_by_a_worker_that_writes_its_report(postgres_url, tmp_path, one_thread):
    task, out = write_task(tmp_path, families=("linear",)), tmp_path / "run"
    result = search(task, storage=postgres_url, trials=3, max_epochs=2, out=out, export=False)
    trials = result.study.trials
    assert [t.number for t in trials] == [0, 1, 2] and {t.state for t in trials} <= FINISHED
    with pytest.raises(SizeupError, match="is a copy of the study in postgresql://"):
        search(task, trials=3, max_epochs=2, out=out, export=False)  # the run folder's study.db only mirrors it

    proc = run_cli("worker", task, "--storage", postgres_url, "--out", out, "--report", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    joined = json.loads(proc.stdout)
    assert joined["trials"] == []  # nothing was left to run
    mine = {r["trial"]: r["val_accuracy"] for r in result.leaderboard.to_dict(orient="records")}
    assert {r["trial"]: r["val_accuracy"] for r in joined["search"]["leaderboard"]} == mine
    assert joined["search"]["recommended"]["trial"] == result.recommended.trial
    assert (out / "report.html").is_file()

    other = write_task(tmp_path, name="dist", families=("linear", "mlp"))  # same study name, other families
    with pytest.raises(SizeupError, match="other search settings"):
        search(other, storage=postgres_url, trials=3, max_epochs=2, out=tmp_path / "other", export=False)


def test_the_ray_backend_runs_the_trials_in_ray_workers(ray_local, tmp_path):
    task = write_task(tmp_path, families=("linear",))
    result = search(task, backend="ray", workers=2, trials=2, max_epochs=2, out=tmp_path / "run", export=False)
    assert [t.number for t in result.study.trials] == [0, 1]
    assert {t.state for t in result.study.trials} <= FINISHED
    assert os.getpid() not in _owners(result.study)  # every trial ran in a Ray task, none here
    assert result.recommended.feasible and (tmp_path / "run" / "best" / "model.safetensors").is_file()
    assert ray_local.is_initialized()  # sizeup joined the session's Ray and left it running


def test_bad_distributed_options_end_in_one_line(tmp_path):
    task = write_task(tmp_path)
    err = one_line_error(run_cli("worker", task, "--storage", f"journal:{tmp_path / 'none.log'}"))
    assert "no study named 'dist'" in err and "sizeup search" in err
    with pytest.raises(SizeupError, match="add --backend ray"):
        search(task, address="auto", trials=1, out=tmp_path / "never")
    with pytest.raises(SizeupError, match="--backend must be one of"):
        search(task, backend="dask", trials=1, out=tmp_path / "never")
    assert not (tmp_path / "never").exists()
