"""``sizeup train --epsilon`` and ``sizeup privacy`` run for real (subprocess), and the curve's Python API."""

from __future__ import annotations

import json

import pytest

import sizeup
from cli_helpers import run
from privacy_helpers import write_task
from sizeup.checkpoint import save_model
from sizeup.data import load_data
from sizeup.errors import SizeupError
from sizeup.zoo import build

pytest.importorskip("opacus")
pytestmark = pytest.mark.usefixtures("one_thread")


def test_train_with_epsilon_trains_privately_end_to_end(tmp_path):
    task = write_task(tmp_path, privacy="")  # no [privacy] epsilon: the flag alone turns DP-SGD on
    proc = run("train", task, "--family", "mlp", "--width", "16", "--depth", "1", "--epochs", "2", "--epsilon", "1.5",
               "--json", "--out", tmp_path / "run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    p = json.loads(proc.stdout)["privacy"]
    assert p["accountant"] in ("prv", "rdp") and 1.5 - 0.011 <= p["epsilon"] <= 1.5 and p["noise_multiplier"] > 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["privacy"]["epsilon"] == p["epsilon"]
    model = sizeup.load(tmp_path / "run")  # the private model is an ordinary saved model
    assert model.spec.family == "mlp"


def test_privacy_command_prints_the_curve_and_writes_json_and_a_plot(tmp_path):
    task = write_task(tmp_path, privacy="")
    proc = run("privacy", task, "--family", "mlp", "-s", "width=8", "-s", "depth=1", "--epsilons", "1,4",
               "--epochs", "2", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [r["budget"] for r in out["rows"]] == ["no DP", "ε = 1", "ε = 4"]
    for r in out["rows"][1:]:
        assert r["epsilon_spent"] <= r["epsilon_target"] and r["noise_multiplier"] > 0
    assert out["rows"][1]["noise_multiplier"] > out["rows"][2]["noise_multiplier"]  # less budget, more noise
    folder = tmp_path / "runs" / "blobs"
    assert json.loads((folder / "privacy.json").read_text(encoding="utf-8"))["rows"] == out["rows"]
    svg = (folder / "privacy.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and svg.count("<circle") >= 4 and "no DP" in svg


def test_the_curve_of_a_run_trains_its_recommended_model(tmp_path):
    task = sizeup.Task.from_toml(write_task(tmp_path, privacy=""))
    data = load_data(task)
    save_model(build("mlp", data.info, width=8, depth=1), data.info, tmp_path / "run" / "best",
               extra={"train": {"lr": 0.02, "weight_decay": 0.001}})
    curve = sizeup.privacy_curve(task, run=tmp_path / "run", epsilons=[3], data=data, epochs=1)
    assert curve.family == "mlp" and curve.knobs["width"] == 8 and curve.settings["lr"] == 0.02
    assert (tmp_path / "run" / "privacy.json").is_file()
    with pytest.raises(SizeupError, match="--force"):
        sizeup.privacy_curve(task, run=tmp_path / "run", epsilons=[3], data=data, epochs=1)
    with pytest.raises(SizeupError, match="positive"):
        sizeup.privacy_curve(task, family="mlp", epsilons=[0], out=False)
    with pytest.raises(SizeupError, match="not both"):
        sizeup.privacy_curve(task, family="mlp", run=tmp_path / "run", out=False)
