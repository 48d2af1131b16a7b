"""``--device`` on the command line: where a model trained and how its latency was timed are in the output;
a GPU that is absent is one line and exit code 2, before anything is written."""

from __future__ import annotations

import json

import pytest

from sizeup.measurement import available_devices

from test_cli_train import EXAMPLES, assert_one_line_error, run

GPU = "cuda" in available_devices()


def test_train_on_a_gpu_that_is_not_there_exits_2_and_writes_nothing(tmp_path):
    if GPU:
        pytest.skip("this machine has a GPU")
    out = tmp_path / "run"
    proc = run("train", EXAMPLES / "digits.toml", "--family", "mlp", "--device", "cuda", "--out", out)
    assert_one_line_error(proc, "--device cuda", "no CUDA GPU", "--device cpu or auto")
    assert not out.exists()


def test_train_json_names_where_it_trained_and_how_latency_was_timed(tmp_path):
    proc = run("train", EXAMPLES / "digits.toml", "--family", "mlp", "--preset", "tiny", "--epochs", "1",
               "--device", "cpu", "--precision", "32", "--out", tmp_path / "run", "--json")
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert s["trained_on"] == "cpu" and s["precision"] == "32" and s["device"].startswith("cpu: ")
    assert s["latency_threads"] == 1 and len(s["load_average"]) == 3

