"""The training loop. It knows no particular model: any ``nn.Module`` and a :class:`DataBundle` will do."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from sizeup.data.bundle import DataBundle
from sizeup.training.augment import augmenter_for
from sizeup.training.callbacks import Callback, EarlyStopping
from sizeup.training.config import TrainConfig
from sizeup.training.evaluate import evaluate
from sizeup.training.metrics import higher_is_better
from sizeup.training.objectives import Objective, balanced_class_weights
from sizeup.training.optim import lr_at, make_optimizer
from sizeup.training.plugins import TrainingPlugin

__all__ = ["fit", "FitResult", "TrainingDiverged"]


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the run is a failure, not a crash of the caller."""


@dataclass
class FitResult:
    """What training did: per-epoch logs, the best epoch (whose weights the model now holds), time."""

    metric: str
    best_val: float
    best_epoch: int
    epochs: int
    steps: int
    train_seconds: float
    stopped: str
    history: list[dict[str, float]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # what a plugin adds, e.g. the privacy budget spent


def fit(model: nn.Module, data: DataBundle, config: TrainConfig, *, metric: str | None = None,
        callbacks: list[Callback] | tuple[Callback, ...] = (), objective: Objective | None = None,
        plugin: TrainingPlugin | None = None) -> FitResult:
    """Train ``model`` on ``data.train``, early-stopping on ``metric`` over ``data.val``; restore the best weights.

    ``objective`` replaces the task's loss (distillation passes one that reads a teacher); ``plugin`` decides how
    the model and optimizer are wrapped and which rows each step sees (DP-SGD, data-parallel ranks).
    """
    info, cfg = data.info, config
    metric = metric or info.metric
    torch.manual_seed(cfg.seed)
    objective = objective or _task_objective(data, cfg)
    plugin = plugin or TrainingPlugin()
    generator = torch.Generator().manual_seed(cfg.seed)
    model, optimizer = plugin.setup(model, make_optimizer(model, cfg), n_train=len(data.train),
                                    batch_size=cfg.batch_size, epochs=cfg.epochs, generator=generator)
    augment = augmenter_for(info.input_kind, info.input_shape, cfg.seed, strength=cfg.augment_strength) if cfg.augment else None
    l1_params = [p for p in model.parameters() if p.ndim >= 2] if cfg.l1 else []
    clip = cfg.clip_grad if not plugin.clips_gradients else None
    stopper = EarlyStopping(model, metric, higher_is_better=higher_is_better(metric), patience=cfg.patience)
    hooks = [stopper, *callbacks]
    step_hooks = [cb for cb in hooks if type(cb).on_step_end is not Callback.on_step_end]
    x_all, y_all, n = data.train.x, data.train.y, len(data.train)
    steps_per_epoch = plugin.steps_per_epoch()
    total_steps = cfg.epochs * steps_per_epoch
    begin = {"epochs": cfg.epochs, "steps_per_epoch": steps_per_epoch, "max_seconds": cfg.max_seconds}
    for cb in hooks:
        cb.on_train_begin(begin)
    history: list[dict[str, float]] = []
    step, lr, stopped, start = 0, cfg.lr, "finished all epochs", time.perf_counter()
    model.train()
    for epoch in range(1, cfg.epochs + 1):
        loss_sum, seen = 0.0, 0
        for idx in plugin.batches(epoch):
            elapsed = time.perf_counter() - start
            lr = lr_at(max(step / total_steps, elapsed / cfg.max_seconds if cfg.max_seconds else 0.0), cfg)
            for group in optimizer.param_groups:
                group["lr"] = lr
            x, y = x_all[idx], y_all[idx]
            if augment is not None:
                x = augment(x)
            loss, _ = objective(model, x, y)
            if l1_params:
                loss = loss + cfg.l1 * sum(p.abs().sum() for p in l1_params)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            value = loss.item()
            if not math.isfinite(value):
                raise TrainingDiverged(f"loss became {value} at epoch {epoch}, step {step}; lower the learning rate (lr={cfg.lr:g})")
            loss_sum, seen, step = loss_sum + value * len(idx), seen + len(idx), step + 1
            for cb in step_hooks:
                cb.on_step_end({"epoch": epoch, "step": step, "loss": value, "lr": lr})
            if cfg.max_seconds and time.perf_counter() - start >= cfg.max_seconds:
                break
        logs: dict[str, Any] = {"epoch": epoch, "step": step, "lr": lr, "train_loss": loss_sum / max(seen, 1),
                                "elapsed": time.perf_counter() - start}
        val = evaluate(model, data.val, objective.evaluation(), n_classes=info.n_outputs, batch_size=cfg.eval_batch_size)
        logs.update({f"val_{k}": v for k, v in val.items()})
        history.append(logs)
        for cb in hooks:
            cb.on_epoch_end(logs)
        reasons = [cb.stop_reason or type(cb).__name__ for cb in hooks if cb.stop_training]
        if reasons:
            stopped = reasons[0]
            break
        if cfg.max_seconds and time.perf_counter() - start >= cfg.max_seconds:
            stopped = f"time limit of {cfg.max_seconds:g}s reached"
            break
    train_seconds = time.perf_counter() - start
    plugin.teardown()
    end = {"epochs": len(history), "steps": step, "train_seconds": train_seconds, "stopped": stopped}
    for cb in hooks:
        cb.on_train_end(end)
    return FitResult(metric=metric, best_val=stopper.best if stopper.best is not None else float("nan"),
                     best_epoch=stopper.best_epoch, epochs=len(history), steps=step,
                     train_seconds=train_seconds, stopped=stopped, history=history, extra=plugin.summary())


def _task_objective(data: DataBundle, cfg: TrainConfig) -> Objective:
    """The task's loss with the configured label smoothing and (for classes) balanced class weights."""
    info = data.info
    weights = balanced_class_weights(data.train.y, info.n_outputs) if cfg.class_weights and info.task == "classification" else None
    return Objective(info.task, label_smoothing=cfg.label_smoothing, class_weights=weights)
