"""Helpers the federated tests share (the fixtures are in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

from sizeup.task import FederatedSpec
from sizeup.training import TrainConfig
from sizeup.zoo import build

FEDERATED = {"clients": 4, "rounds": 4, "fraction": 0.5, "local_epochs": 1}


def tiny_model(data, seed: int = 0):
    torch.manual_seed(seed)
    return build("mlp", data.info, width=16, depth=1, dropout=0.0)


def local_config(**kw) -> TrainConfig:
    return TrainConfig(**{"epochs": 1, "batch_size": 32, "lr": 1e-2, "augment": False, "seed": 0, **kw})


def spec(**kw) -> FederatedSpec:
    return FederatedSpec(**{**FEDERATED, **kw})


def sizeup_cli(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """The ``sizeup`` command as a user runs it, in a subprocess."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200", "NO_COLOR": "1"}
    cmd = [sys.executable, "-c", "from sizeup.cli import main; main()", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


def assert_one_line_error(proc: subprocess.CompletedProcess, *words: str) -> str:
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1 and err.startswith("error:"), err
    for w in words:
        assert w in err, err
    return err
