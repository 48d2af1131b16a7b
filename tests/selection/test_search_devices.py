"""The search on a named device: candidates train there, constraints are measured on the serving device,
and every row says where and under what load its latency was taken."""

from __future__ import annotations

import pytest

from sizeup.errors import SizeupError
from sizeup.measurement import LATENCY_THREADS, available_devices
from sizeup.selection import search

from search_helpers import write_task


def test_rows_record_the_serving_device_thread_count_and_load(tmp_path):
    task = write_task(tmp_path, families=("linear",),
                      constraints='[constraints]\ndevice = "cpu"\nmax_latency_ms = 50')
    result = search(task, trials=1, max_epochs=1, out=tmp_path / "run", export=False, device="cpu")
    row = result.leaderboard.iloc[0]
    assert row["status"] == "completed" and row["device"].startswith("cpu:")
    assert row["latency_threads"] == LATENCY_THREADS and row["load_average"] >= 0
    trial = result.study.trials[0].user_attrs
    assert trial["trained_on"] == "cpu"


def test_an_absent_training_device_is_refused_before_the_study_is_opened(tmp_path):
    if "cuda" in available_devices():
        pytest.skip("this machine has a GPU")
    with pytest.raises(SizeupError, match="--device cuda: no CUDA GPU"):
        search(write_task(tmp_path), trials=1, out=tmp_path / "run", device="cuda")
    assert not (tmp_path / "run" / "study.db").exists()


def test_a_misspelt_serving_device_in_the_task_file_names_the_key(tmp_path):
    task = write_task(tmp_path, constraints='[constraints]\ndevice = "gpu"')
    with pytest.raises(SizeupError, match=r"tiny.toml: \[constraints\] device 'gpu' is not a device; use auto"):
        search(task, trials=1, out=tmp_path / "run")
