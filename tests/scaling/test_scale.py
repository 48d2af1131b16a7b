"""``sizeup scale`` for real: four sizes of a digits MLP trained, fitted, forecast, priced and written; a rerun
reuses the finished runs; bad input is refused in one line before any training."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sizeup
from sizeup.errors import SizeupError

CMD = [sys.executable, "-c", "from sizeup.cli import main; main()"]
TASK = """name = "tiny-digits"
[data]
source = "digits"
[search]
metric = "accuracy"
"""
ARGS = ["--family", "mlp", "-s", "width=4", "-s", "depth=1", "--sizes", "4", "--seeds", "1", "--epochs", "3",
        "--bootstrap", "30"]


def run(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([*CMD, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale")
    (folder / "task.toml").write_text(TASK)
    proc = run("scale", "task.toml", *ARGS, "--json", cwd=folder)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return folder, json.loads(proc.stdout), proc.stderr


def test_scale_trains_geometric_sizes_with_one_recipe(scaled):
    folder, out, progress = scaled
    params = [s["params"] for s in out["sizes"]]
    assert all(1.8 <= b / a <= 2.2 for a, b in zip(params, params[1:]))
    assert {r["epochs"] for r in out["runs"]} == {3} and out["recipe"]["patience"] > 3  # no early stop
    assert progress.count("seed 0: test") == 4
    for i in range(4):
        assert (folder / "runs" / "tiny-digits" / "scale-mlp" / "sizes").glob(f"{i}-width*/seed-0/model.safetensors")


def test_scale_forecasts_2_4_10_and_100x_with_intervals_and_costs(scaled):
    _, out, _ = scaled
    fam = out["families"]["mlp"]
    largest = out["sizes"][-1]["params"]
    assert [f["multiple"] for f in fam["forecasts"]] == [2.0, 4.0, 10.0, 100.0]
    for f in fam["forecasts"]:
        assert 0.7 < f["params"] / (f["multiple"] * largest) < 1.3
        assert f["pred_lo"] <= f["lo"] <= f["value"] <= f["hi"] <= f["pred_hi"]
        cost = f["cost"]
        assert cost["memory_mb"] > 0 and cost["latency_ms"] > 0 and cost["gpu_train_seconds"] > 0
        assert cost["gpu_usd_per_1k"] > 0 and cost["train_flops"] > out["sizes"][-1]["train_flops"]
    assert fam["fit_params"]["n_sizes"] == 4 and fam["fit_compute"]["x"] == "train_flops"


def test_scale_ends_with_a_verdict_on_gain_cost_and_noise(scaled):
    _, out, _ = scaled
    v = out["verdict"]
    assert v.startswith("4× bigger (") and "buys " in v and "points of accuracy (90 % interval" in v
    assert "× the latency" in v and ("inside the noise" in v or "does not flatten" in v or "within the noise" in v)


def test_scaling_json_is_what_json_printed(scaled):
    folder, out, _ = scaled
    written = json.loads((folder / "runs" / "tiny-digits" / "scale-mlp" / "scaling.json").read_text())
    assert written["verdict"] == out["verdict"] and written["kind"] == "scale"


def test_a_rerun_reuses_finished_runs_and_refuses_to_overwrite_without_force(scaled, tmp_path):
    folder, out, _ = scaled
    done = folder / "runs" / "tiny-digits" / "scale-mlp"
    with pytest.raises(SizeupError, match="scaling.json already exists; pass --force"):
        sizeup.scale(folder / "task.toml", family="mlp", knobs={"width": 4, "depth": 1}, sizes=4, seeds=1, epochs=3,
                     out=done)
    copy = tmp_path / "copy"
    shutil.copytree(done / "sizes", copy / "sizes")  # an interrupted run: the sizes, no scaling.json yet
    again = sizeup.scale(folder / "task.toml", family="mlp", knobs={"width": 4, "depth": 1}, sizes=4, seeds=1,
                         epochs=3, out=copy, bootstrap=30, multiples=(4.0,))
    assert all(r.reused for r in again.runs)
    assert [r.value for r in again.runs] == [r["value"] for r in out["runs"]]


def test_bad_input_is_one_line_with_exit_code_2_before_training(tmp_path):
    (tmp_path / "task.toml").write_text(TASK)
    proc = run("scale", "task.toml", "--family", "mlp", "--sizes", "3", cwd=tmp_path)
    err = proc.stderr.strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert "--sizes 3 is too few" in err and "at least 4" in err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(("options", "message"), [
    ({"knob": "height"}, "--knob must be one of width, depth, both, got 'height'"),
    ({"hardware": "tpu9"}, "--hardware 'tpu9' is not in the catalog"),
    ({"family": "linear"}, "family 'linear' has no width knob to scale"),
    ({"seeds": 0}, "--seeds must be at least 1"),
])
def test_bad_options_are_refused_before_the_data_is_loaded(tmp_path, options, message):
    with pytest.raises(SizeupError, match=message):
        sizeup.scale(tmp_path / "missing.toml", **{"family": "mlp", **options})


def test_a_time_limit_is_refused_because_sizes_would_train_different_epochs(tmp_path):
    (tmp_path / "task.toml").write_text(TASK + '[train]\ntime = "10s"\n')
    with pytest.raises(SizeupError, match=r"\[train\] time .* gives larger sizes fewer epochs"):
        sizeup.scale(tmp_path / "task.toml", family="mlp", out=tmp_path / "out")
