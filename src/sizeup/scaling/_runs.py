"""Training the sizes: one recipe for every size (fixed epochs, no early stop, the same seeds), each run saved
in its own folder, and a run already finished with the same knobs and recipe read back instead of retrained."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from sizeup.data.bundle import DataBundle
from sizeup.errors import SizeupError
from sizeup.task import Task
from sizeup.training.config import TrainConfig

__all__ = ["SizeRun", "recipe_for", "train_size", "size_label"]


@dataclass
class SizeRun:
    """One trained size and seed, as measured here."""

    size: int  # index on the ladder (0 = smallest)
    knobs: dict[str, Any]
    seed: int
    params: int
    flops: int  # forward, per sample
    value: float  # the test metric
    val: float  # the validation metric
    latency_ms: float  # median of the timed calls
    latency_min_ms: float  # the fastest call
    throughput: float
    throughput_batch: int
    memory_mb: float
    train_seconds: float
    epochs: int
    out_dir: str | None = None
    reused: bool = False  # read back from a finished run folder


def size_label(knobs: dict[str, Any], knob: str) -> str:
    shown = ("width", "depth") if knob == "both" else (knob,)
    return ",".join(f"{k}={knobs[k]}" for k in shown if k in knobs)


def recipe_for(task: Task, info: Any, **overrides: Any) -> TrainConfig:
    """The task's training settings with early stopping switched off, so every size trains the same epochs."""
    from sizeup.training.run import resolve_config

    config = resolve_config(task, info, **overrides)
    if config.max_seconds is not None:
        raise SizeupError(f"task {task.name!r}: [train] time (or --time) gives larger sizes fewer epochs; a scaling "
                          "fit needs the same recipe at every size, so remove it and set epochs instead")
    return config.with_overrides(patience=config.epochs + 1)


def _reuse(folder: Path, knobs: dict[str, Any], recipe: TrainConfig) -> dict[str, Any] | None:
    """The summary of a finished run in ``folder`` if it was trained with exactly these knobs and recipe."""
    from sizeup._io import read_json

    metrics, config = folder / "metrics.json", folder / "config.json"
    if not (metrics.is_file() and config.is_file()):
        return None
    summary, saved = read_json(metrics), read_json(config)
    same = summary.get("knobs") == knobs and saved.get("train") == dataclasses.asdict(recipe)
    return summary if same else None


def _run_of(summary: dict[str, Any], size: int, knobs: dict[str, Any], seed: int, metric: str,
            out_dir: Path | None, reused: bool) -> SizeRun:
    return SizeRun(size=size, knobs=dict(knobs), seed=seed, params=int(summary["params"]), flops=int(summary["flops"]),
                   value=float(summary[f"test_{metric}"]), val=float(summary[f"val_{metric}"]),
                   latency_ms=float(summary["latency_ms"]), latency_min_ms=float(summary["latency_min_ms"]),
                   throughput=float(summary["throughput"]),
                   throughput_batch=int(summary["throughput_batch"]), memory_mb=float(summary["memory_mb"]),
                   train_seconds=float(summary["train_seconds"]), epochs=int(summary["epochs"]),
                   out_dir=str(out_dir) if out_dir else None, reused=reused)


def train_size(task: Task, data: DataBundle, family: str, knobs: dict[str, Any], *, size: int, seeds: Sequence[int],
               recipe: TrainConfig, metric: str, folder: Path | None, force: bool = False,
               on_run: Callable[[SizeRun], None] | None = None) -> list[SizeRun]:
    """Train ``family`` at ``knobs`` once per seed with ``recipe``; ``folder`` (None: nothing saved) gets a
    ``seed-<n>/`` per run."""
    from sizeup.training.run import train
    from sizeup.zoo import make_config

    full = dataclasses.asdict(make_config(family, **knobs))
    runs = []
    for seed in seeds:
        config = recipe.with_overrides(seed=seed)
        out = folder / f"seed-{seed}" if folder is not None else None
        summary = _reuse(out, full, config) if out is not None and not force else None
        reused = summary is not None
        if not reused:
            settings = {k: v for k, v in dataclasses.asdict(config).items() if v is not None}
            result = train(task, family, knobs=knobs, data=data, out=out, force=force, save=out is not None, **settings)
            summary = result.summary()
        run = _run_of(summary, size, knobs, seed, metric, out, reused=reused)
        runs.append(run)
        if on_run is not None:
            on_run(run)
    return runs
