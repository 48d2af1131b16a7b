"""The ``sizeup`` command run for real (subprocess): JSON on stdout, one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import sizeup
from cli_helpers import assert_one_line_error, run  # tests/ is on the path (it holds the root conftest)
from sizeup.data import load_data
from sizeup.task import Task
from sizeup.training import evaluate
from sizeup.training.objectives import Objective

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def test_datasets_json_lists_the_three_bundled_sets():
    proc = run("datasets", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert {r["name"] for r in rows} >= {"digits", "mnist1d", "zh-news"}
    assert all({"input_kind", "classes", "metric", "size", "source"} <= set(r) for r in rows)


def test_families_json_lists_every_family_with_knobs_and_presets():
    proc = run("families", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["family"]: r for r in json.loads(proc.stdout)}
    assert set(rows) == set(sizeup.list_families())
    assert rows["mlp"]["knobs"]["width"] == 128 and "tiny" in rows["mlp"]["presets"]
    assert rows["bow"]["inputs"] == ["tokens"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One short real training run through the CLI, shared by the tests that read its results."""
    out = tmp_path_factory.mktemp("run") / "mlp"
    proc = run("train", EXAMPLES / "digits.toml", "--family", "mlp", "--preset", "small", "--epochs", "2",
               "--out", out, "--json", cwd=tmp_path_factory.getbasetemp())
    return proc, out


def test_train_json_reports_quality_and_cost(trained):
    proc, out = trained
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)  # stdout holds only the JSON object; progress went to stderr
    for key in ("test_accuracy", "params", "flops", "latency_ms", "train_seconds"):
        assert key in summary
    assert 0.3 < summary["test_accuracy"] <= 1.0  # 2 epochs on digits; chance is 0.1
    assert summary["params"] > 0 and summary["flops"] > 0 and summary["latency_ms"] > 0
    assert summary["family"] == "mlp" and summary["epochs"] == 2 and summary["out_dir"] == str(out)
    assert {p.name for p in out.iterdir()} >= {"model.safetensors", "config.json", "metrics.json"}
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] == summary["test_accuracy"] and len(metrics["history"]) == 2


def test_loaded_model_reproduces_the_reported_test_accuracy(trained):
    proc, out = trained
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    model = sizeup.load(out)
    assert model.spec.family == "mlp" and not model.training
    data = load_data(Task.from_toml(EXAMPLES / "digits.toml"))
    test = evaluate(model, data.test, Objective(data.info.task), n_classes=data.info.n_outputs)
    assert test["accuracy"] == pytest.approx(summary["test_accuracy"], abs=1e-6)
    assert sum(p.numel() for p in model.parameters()) == summary["params"]
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["epochs"] == 2 and config["data"]["name"] == "digits"


def test_training_again_without_force_refuses_and_leaves_the_model_alone(trained):
    proc, out = trained
    assert proc.returncode == 0, proc.stderr
    before = (out / "model.safetensors").read_bytes()
    again = run("train", EXAMPLES / "digits.toml", "--family", "mlp", "--epochs", "1", "--out", out, "--json")
    assert_one_line_error(again, "already exists", "--force")
    assert again.stdout == ""
    assert (out / "model.safetensors").read_bytes() == before


def test_unknown_family_exits_2_with_one_line_naming_the_choices(tmp_path):
    proc = run("train", EXAMPLES / "digits.toml", "--family", "resnet", "--out", tmp_path / "o")
    assert_one_line_error(proc, "resnet", "mlp", "cnn")
    assert not (tmp_path / "o").exists()


def test_missing_task_file_exits_2_with_one_line(tmp_path):
    proc = run("train", tmp_path / "nope.toml", "--family", "mlp")
    assert_one_line_error(proc, "nope.toml", "not found")


def test_malformed_toml_exits_2_with_one_line(tmp_path):
    task = tmp_path / "bad.toml"
    task.write_text('name = "bad"\n[data\nsource = "digits"\n', encoding="utf-8")
    proc = run("train", task, "--family", "mlp")
    assert_one_line_error(proc, "malformed TOML")


@pytest.mark.parametrize(("option", "value", "word"), [
    ("--set", "width", "key=value"),
    ("--set", "colour=red", "colour"),
    ("--train-set", "momentum=0.9", "momentum"),
])
def test_bad_set_exits_2_with_one_line(tmp_path, option, value, word):
    proc = run("train", EXAMPLES / "digits.toml", "--family", "mlp", option, value, "--out", tmp_path / "o")
    assert_one_line_error(proc, word)
    assert not (tmp_path / "o" / "model.safetensors").exists()


@pytest.mark.slow
def test_mnist1d_cnn_reaches_94_percent_test_accuracy(tmp_path):
    proc = run("train", EXAMPLES / "mnist1d.toml", "--family", "cnn", "--out", tmp_path / "cnn", "--json",
               timeout=900)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["test_accuracy"] >= 0.94, summary
    assert torch.isfinite(torch.tensor(summary["latency_ms"]))
