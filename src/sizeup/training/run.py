"""The ``train`` verb: task -> data -> model -> fit -> test -> measure -> save, in that order."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sizeup._device import check_device_spec, resolve_device
from sizeup.data.bundle import DataBundle, DataInfo, Split
from sizeup.errors import SizeupError
from sizeup.measurement import Measurement, measure
from sizeup.task import Task, parse_duration
from sizeup.training.callbacks import Callback
from sizeup.training.config import TrainConfig, default_config
from sizeup.training.evaluate import evaluate
from sizeup.training.loop import FitResult, fit
from sizeup.training.objectives import Objective
from sizeup.training.plugins import TrainingPlugin

__all__ = ["train", "TrainResult", "resolve_config", "example_inputs", "as_task", "with_device", "serving_device"]

RUN_FILES = ("model.safetensors", "config.json", "metrics.json")


@dataclass
class TrainResult:
    """A trained model with its test metrics and measurements (``summary()`` gives the flat figures)."""

    model: nn.Module
    info: DataInfo
    config: TrainConfig
    fit: FitResult
    test: dict[str, float]
    measurement: Measurement
    out_dir: Path | None = None

    def summary(self) -> dict[str, Any]:
        m = self.measurement
        return {
            "family": self.model.spec.family, "model": self.model.spec.describe(),
            "knobs": dataclasses.asdict(self.model.spec.config), "data": self.info.name, "metric": self.fit.metric,
            **{f"test_{k}": v for k, v in self.test.items()},
            f"val_{self.fit.metric}": self.fit.best_val,
            "params": m.params, "flops": m.flops, "latency_ms": m.latency_ms,
            "latency_min_ms": m.latency_min_ms, "latency_max_ms": m.latency_max_ms,
            "throughput": m.throughput, "throughput_batch": m.throughput_batch,
            "memory_mb": m.memory_mb, "weights_mb": m.weights_mb,
            "train_seconds": self.fit.train_seconds, "epochs": self.fit.epochs, "best_epoch": self.fit.best_epoch,
            "stopped": self.fit.stopped, "device": m.device, "latency_threads": m.latency_threads,
            "load_average": m.load_average, "trained_on": self.fit.extra.get("device"),
            "precision": self.fit.extra.get("precision"), "out_dir": str(self.out_dir) if self.out_dir else None,
            **({"baseline": self.info.notes["baseline"]} if "baseline" in self.info.notes else {}),
            # what the training plugin reports, e.g. {"privacy": {"epsilon": ...}} (where it trained is trained_on)
            **{k: v for k, v in self.fit.extra.items() if k not in ("device", "precision")},
        }


def as_task(task: Task | str | Path) -> Task:
    return task if isinstance(task, Task) else Task.from_toml(task)


def with_device(task: Task, device: str | None) -> Task:
    """The task with ``[train] device`` replaced (``--device``); ``None`` leaves it as it is."""
    if device is None:
        return task
    return task.model_copy(update={"train": task.train.model_copy(update={"device": check_device_spec(device)})})


def serving_device(task: Task) -> str:
    """Where the task's constraints are measured: ``[constraints] device``, else where it trains."""
    return task.constraints.device or task.train.device or "auto"


def resolve_config(task: Task, info: DataInfo, **overrides: Any) -> TrainConfig:
    """sizeup's defaults for the input kind, then the task file's ``[train]``, then explicit overrides."""
    from_file = task.train.overrides()
    if "time" in from_file:
        from_file["max_seconds"] = parse_duration(from_file.pop("time"), what="[train] time")
    if isinstance(overrides.get("max_seconds"), str):
        overrides["max_seconds"] = parse_duration(overrides["max_seconds"], what="--time")
    return default_config(info.input_kind, seed=task.train.seed, **from_file).with_overrides(**overrides)


def example_inputs(info: DataInfo, split: Split, n: int) -> tuple[torch.Tensor, ...]:
    """The first ``n`` real samples, shaped as the model's forward takes them."""
    if info.input_kind == "seq2seq":
        return split.x[:n], split.y[:n, :-1]
    return (split.x[:n],)


def train(task: Task | str | Path, family: str, *, preset: str | None = None, knobs: dict[str, Any] | None = None,
          data: DataBundle | None = None, out: str | Path | None = None, force: bool = False, save: bool = True,
          callbacks: list[Callback] | tuple[Callback, ...] = (), plugin: TrainingPlugin | None = None,
          fit_fn: Callable[..., FitResult] = fit, **overrides: Any) -> TrainResult:
    """Train one model of ``family`` on the task's data; measure it; save it unless ``save=False``.

    ``overrides`` are training settings (``epochs``, ``max_seconds``, ``lr``, ``batch_size``, ``device``,
    ``precision`` ...); ``plugin`` is passed to :func:`fit` (data-parallel ranks train through it; a task with
    ``[privacy] epsilon`` needs one: ``sizeup.train_private`` builds it). ``fit_fn`` is the training procedure,
    ``fit``'s signature and result (``sizeup.api.train`` passes the federated one). Returns the trained model (best
    validation epoch, on the device it trained on) with its test metrics and measurements, taken on
    ``[constraints] device`` when the task names one.
    """
    from sizeup._io import prepare_out_dir, write_json
    from sizeup.checkpoint import save_model
    from sizeup.data import load_data
    from sizeup.zoo import build

    task = as_task(task)
    if task.privacy.enabled and plugin is None:
        raise SizeupError(f"task {task.name!r} sets [privacy] epsilon = {task.privacy.epsilon:g}, so it must train with "
                          "DP-SGD: call sizeup.train_private(task, family), which adds it (or pass plugin=)")
    data = data or load_data(task)
    config = resolve_config(task, data.info, **overrides)
    resolve_device(config.device, what="--device" if overrides.get("device") else "[train] device")  # before any work
    torch.manual_seed(config.seed)  # the same initial weights on every run
    model = build(family, data.info, preset=preset, **(knobs or {}))  # bad knobs fail before anything is written
    out_dir = Path(out) if out else Path("runs") / task.name / f"train-{family}"
    if save:
        prepare_out_dir(out_dir, owned=RUN_FILES, force=force)
    result = fit_fn(model, data, config, metric=task.search.metric, callbacks=callbacks,
                    **({"plugin": plugin} if plugin is not None else {}))
    test = evaluate(model, data.test, Objective(data.info.task), n_classes=data.info.n_outputs)
    measurement = measure(model, example_inputs(data.info, data.test, 256), device=task.constraints.device)
    res = TrainResult(model, data.info, config, result, test, measurement, out_dir if save else None)
    if save:
        extra = {"train": dataclasses.asdict(config), "task": task.model_dump(mode="json")}
        save_model(model, data.info, out_dir, extra=extra)
        write_json(out_dir / "metrics.json", {**res.summary(), "history": result.history})
    return res
