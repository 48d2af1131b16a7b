"""``--device`` on the command line: where a model trained and how its latency was timed are in the output;
a device that is absent or misspelt is one line and exit code 2, before anything is written."""

from __future__ import annotations

import json

import pytest

from sizeup.measurement import available_devices

from test_cli_train import EXAMPLES, assert_one_line_error, run

GPU = "cuda" in available_devices()


@pytest.mark.parametrize("device,words", [("cuda", ["--device cuda", "no CUDA GPU", "--device cpu or auto"]),
                                          ("tpu", ["device 'tpu' is not a device", "cuda:N"])])
def test_train_on_a_device_that_is_not_there_exits_2_and_writes_nothing(tmp_path, device, words):
    if GPU and device == "cuda":
        pytest.skip("this machine has a GPU")
    out = tmp_path / "run"
    proc = run("train", EXAMPLES / "digits.toml", "--family", "mlp", "--device", device, "--out", out)
    assert_one_line_error(proc, *words)
    assert not out.exists()


def test_train_json_names_where_it_trained_and_how_latency_was_timed(tmp_path):
    proc = run("train", EXAMPLES / "digits.toml", "--family", "mlp", "--preset", "tiny", "--epochs", "1",
               "--device", "cpu", "--precision", "32", "--out", tmp_path / "run", "--json")
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert s["trained_on"] == "cpu" and s["precision"] == "32" and s["device"].startswith("cpu: ")
    assert s["latency_threads"] == 1 and len(s["load_average"]) == 3


def test_estimate_on_this_machines_gpu_without_one_names_the_alternatives():
    if GPU:
        pytest.skip("this machine has a GPU")
    proc = run("estimate", "cnn:width=16", "--task", EXAMPLES / "digits.toml", "--hardware", "cuda")
    assert_one_line_error(proc, "--hardware cuda", "h100", "--hardware cpu")
