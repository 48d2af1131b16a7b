"""``sizeup train --nproc N``: one candidate trained data-parallel by N processes that ``torchrun`` starts.

The parent checks everything a user can get wrong (task, knobs, settings, the output folder) before any
process starts, writes the run's spec to a file, and runs ``python -m torch.distributed.run`` on
``sizeup.distributed._rank``. Rank 0 tests, measures and saves the model, alone, after the others finish
training, so its latency figures are not taken while other ranks compete for the cores.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sizeup.errors import SizeupError

__all__ = ["train_parallel", "DataParallelRun", "torchrun_command"]


@dataclass
class DataParallelRun:
    """A model trained by ``nproc`` processes: rank 0's figures (as ``TrainResult.summary()``) and its folder."""

    summary: dict[str, Any]
    out_dir: Path
    world_size: int
    backend: str
    wall_seconds: float
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def model(self):
        from sizeup.checkpoint import load_model

        return load_model(self.out_dir)


def torchrun_command(spec_path: Path, *, nproc: int, nnodes: int = 1, rdzv_endpoint: str | None = None,
                     run_id: str = "sizeup") -> list[str]:
    """The ``torchrun`` command line: standalone on one node, c10d rendezvous at ``rdzv_endpoint`` on several."""
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={nproc}"]
    if nnodes == 1 and rdzv_endpoint is None:
        cmd.append("--standalone")
    else:
        if rdzv_endpoint is None:
            raise SizeupError(f"--nnodes {nnodes} needs --rdzv-endpoint HOST:PORT, the same on every node")
        cmd += [f"--nnodes={nnodes}", "--rdzv-backend=c10d", f"--rdzv-endpoint={rdzv_endpoint}", f"--rdzv-id={run_id}"]
    return [*cmd, "-m", "sizeup.distributed._rank", str(spec_path)]


def _check(task, family: str, preset: str | None, knobs: dict[str, Any], overrides: dict[str, Any]):
    """Everything a rank would fail on, checked here so the user gets one line before any process starts."""
    import torch

    from sizeup.data import load_data
    from sizeup.training.run import resolve_config
    from sizeup.zoo import build

    data = load_data(task)
    config = resolve_config(task, data.info, **overrides)
    if config.max_seconds:
        raise SizeupError("a time limit (--time, or [train] time) cannot be combined with --nproc: ranks would stop "
                          "at different steps; bound the run with --epochs")
    torch.manual_seed(config.seed)
    build(family, data.info, preset=preset, **knobs)
    return data, config


def train_parallel(task, family: str, *, nproc: int, nnodes: int = 1, rdzv_endpoint: str | None = None,
                   preset: str | None = None, knobs: dict[str, Any] | None = None, out: str | Path | None = None,
                   force: bool = False, device: str = "cpu", threads: int | None = None,
                   **overrides: Any) -> DataParallelRun:
    """Train one model of ``family`` on ``nproc`` processes per node (DDP: gloo on CPUs, NCCL on GPUs).

    Takes the arguments of ``sizeup.train`` (``overrides``: ``epochs``, ``batch_size``, ``lr`` ...); the
    batch size is the global one, split across ranks. Returns rank 0's figures; the model is saved in ``out``.
    """
    from sizeup._io import prepare_out_dir, read_json
    from sizeup.training.run import RUN_FILES, as_task

    if nproc < 1 or nnodes < 1:
        raise SizeupError(f"--nproc and --nnodes must be at least 1, got {nproc} and {nnodes}")
    if device not in ("cpu", "cuda"):
        raise SizeupError(f"device must be 'cpu' or 'cuda', got {device!r}")
    task = as_task(task)
    knobs = {k: v for k, v in (knobs or {}).items() if v is not None}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    _check(task, family, preset, knobs, overrides)
    out_dir = Path(out) if out else Path("runs") / task.name / f"train-{family}"
    prepare_out_dir(out_dir, owned=RUN_FILES, force=force)
    scratch = Path(tempfile.mkdtemp(prefix="sizeup-ddp-"))
    try:
        spec = {"task": task.model_dump(mode="json"), "base_dir": str(task.base_dir), "family": family,
                "preset": preset, "knobs": knobs, "overrides": overrides, "out": str(out_dir.resolve()),
                "device": device, "threads": threads or max(1, (os.cpu_count() or 1) // nproc),
                "measure_threads": _default_threads(), "errors": str(scratch)}
        (scratch / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        start = time.perf_counter()
        code = _launch(torchrun_command(scratch / "spec.json", nproc=nproc, nnodes=nnodes, rdzv_endpoint=rdzv_endpoint,
                                        run_id=task.name), spec["threads"])
        wall = time.perf_counter() - start
        if code != 0:
            messages = sorted(scratch.glob("error-*.txt"))
            if messages:
                raise SizeupError(messages[0].read_text(encoding="utf-8").strip())
            raise SizeupError(f"torchrun exited with code {code}; the ranks' messages are above")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    metrics = read_json(out_dir / "metrics.json")
    history = metrics.pop("history", [])
    dp = metrics.get("data_parallel", {})
    return DataParallelRun(metrics, out_dir, int(dp.get("world_size", nproc * nnodes)), str(dp.get("backend", "")),
                           wall, history)


def _default_threads() -> int:
    import torch

    return torch.get_num_threads()


def _launch(cmd: list[str], threads: int) -> int:
    """Run torchrun with the ranks' output on this process's stderr (stdout may carry --json)."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONUNBUFFERED": "1"}
    try:
        err = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        err = None
    return subprocess.run(cmd, env=env, stdout=err, stderr=err).returncode
