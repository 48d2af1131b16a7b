"""``sizeup train --nproc 2``: real torchrun processes, DDP on gloo, the weights one process reaches."""

from __future__ import annotations

import json

import pytest
import torch

import sizeup
from sizeup.distributed import train_parallel
from sizeup.errors import SizeupError

from dist_helpers import run_cli, write_task

# no dropout and no augmentation: their random draws differ per rank. 61 rows split 31 / 30, so each step needs
# the weighted gradient sum (an equal-weight average is off); 1,212 training rows make 20 steps
SETTINGS = {"epochs": 1, "batch_size": 61, "lr": 1e-2}
KNOBS = {"width": 32, "depth": 2, "dropout": 0.0, "norm": False}


def test_two_ranks_at_a_global_batch_reach_the_weights_of_one_process_at_that_batch(tmp_path, one_thread):
    task = write_task(tmp_path)
    proc = run_cli("train", task, "--family", "mlp", "--width", 32, "--depth", 2, "--dropout", 0, "-s", "norm=false",
                   "--epochs", 1, "--batch-size", 61, "--lr", 1e-2, "--train-set", "augment=false", "--nproc", 2,
                   "--out", tmp_path / "ddp", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["world_size"] == 2 and summary["backend"] == "gloo" and summary["epochs"] == 1
    assert "20 steps per epoch" in proc.stderr

    one = sizeup.train(task, "mlp", knobs=KNOBS, save=False, augment=False, **SETTINGS)
    ddp = sizeup.load(tmp_path / "ddp")
    diffs = [(a - b).abs().max().item() for a, b in zip(one.model.state_dict().values(), ddp.state_dict().values())]
    assert max(diffs) <= 1e-5, diffs
    assert summary["test_accuracy"] == pytest.approx(one.test["accuracy"], abs=1e-3)


def test_a_time_limit_is_refused_before_any_process_starts(tmp_path):
    with pytest.raises(SizeupError, match="cannot be combined with --nproc"):
        train_parallel(write_task(tmp_path), "mlp", nproc=2, max_seconds="5s", out=tmp_path / "never")
    assert not (tmp_path / "never").exists()
