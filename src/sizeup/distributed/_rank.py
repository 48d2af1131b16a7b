"""One rank of ``sizeup train --nproc N`` (``python -m sizeup.distributed._rank SPEC.json``, started by torchrun).

Every rank trains through ``sizeup.training.fit`` with the :class:`DataParallel` plugin. Rank 0 runs the whole
``train`` verb (test, measure, save); the other ranks only train, and leave once training is over.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from sizeup.errors import SizeupError
from sizeup.training.callbacks import Callback

__all__ = ["main"]


class _EpochLines(Callback):
    """Rank 0's progress: one line per epoch on stderr."""

    def __init__(self, metric: str | None, world: int) -> None:
        self.metric, self.world = metric, world

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        print(f"data-parallel: {self.world} ranks, {logs['steps_per_epoch']} steps per epoch", file=sys.stderr, flush=True)

    def on_epoch_end(self, logs: dict[str, Any]) -> None:
        key = f"val_{self.metric}" if self.metric else next(k for k in logs if k.startswith("val_") and k != "val_loss")
        print(f"epoch {logs['epoch']}: train_loss {logs['train_loss']:.4f} {key} {logs.get(key, float('nan')):.4f}",
              file=sys.stderr, flush=True)


class _BackToCPU(Callback):
    """After training on a GPU, the model is tested and measured on the CPU like every other sizeup model;
    rank 0, alone by then, measures with the threads a one-process ``sizeup train`` would use."""

    def __init__(self, plugin, threads: int | None = None) -> None:
        self.plugin, self.threads = plugin, threads

    def on_train_end(self, logs: dict[str, Any]) -> None:
        if self.plugin.device == "cuda":
            self.plugin.module.cpu()
        if self.threads:
            torch.set_num_threads(self.threads)


def _rank0(spec: dict[str, Any], task, plugin, world: int) -> None:
    from sizeup._io import read_json, write_json
    from sizeup.training.run import train

    callbacks = [_EpochLines(task.search.metric, world), _BackToCPU(plugin, spec["measure_threads"])]
    result = train(task, spec["family"], preset=spec["preset"], knobs=spec["knobs"], out=spec["out"], force=True,
                   plugin=plugin, callbacks=callbacks, **spec["overrides"])
    metrics_path = Path(spec["out"]) / "metrics.json"
    write_json(metrics_path, {**read_json(metrics_path), **result.fit.extra})


def _other_rank(spec: dict[str, Any], task, plugin) -> None:
    """Train only: the same data, settings and initial weights as rank 0 (DDP also broadcasts rank 0's)."""
    from sizeup.data import load_data
    from sizeup.training import fit
    from sizeup.training.run import resolve_config
    from sizeup.zoo import build

    data = load_data(task)
    config = resolve_config(task, data.info, **spec["overrides"])
    torch.manual_seed(config.seed)
    model = build(spec["family"], data.info, preset=spec["preset"], **spec["knobs"])
    fit(model, data, config, metric=task.search.metric, plugin=plugin, callbacks=[_BackToCPU(plugin)])


def main(argv: list[str] | None = None) -> int:
    from sizeup.distributed.ddp import DataParallel, init_process_group, rank, world_size
    from sizeup.task import Task

    spec = json.loads(Path((argv or sys.argv[1:])[0]).read_text(encoding="utf-8"))
    torch.set_num_threads(int(spec["threads"]))
    init_process_group(spec["device"])
    me = rank()
    try:
        task = Task.from_dict(spec["task"], base_dir=Path(spec["base_dir"]))
        plugin = DataParallel(device=spec["device"])
        if me == 0:
            _rank0(spec, task, plugin, world_size())
        else:
            _other_rank(spec, task, plugin)
    except SizeupError as exc:
        (Path(spec["errors"]) / f"error-{me}.txt").write_text(str(exc), encoding="utf-8")
        return 2
    finally:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
