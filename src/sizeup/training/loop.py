"""The training loop. It knows no particular model: any ``nn.Module`` and a :class:`DataBundle` will do."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from sizeup._device import resolve_device, tf32_matmuls
from sizeup.data.bundle import DataBundle
from sizeup.training.augment import augmenter_for
from sizeup.training.callbacks import Callback, EarlyStopping
from sizeup.training.config import TrainConfig
from sizeup.training.evaluate import evaluate
from sizeup.training.metrics import higher_is_better
from sizeup.training.objectives import Objective, balanced_class_weights
from sizeup.training.optim import lr_at, make_optimizer
from sizeup.training.placement import place
from sizeup.training.plugins import TrainingPlugin
from sizeup.training.precision import MixedPrecision, resolve_precision

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
    the model and optimizer are wrapped and which rows each step sees (DP-SGD, data-parallel ranks). The model
    trains on ``config.device`` in ``config.precision`` and stays there.
    """
    info, cfg = data.info, config
    metric = metric or info.metric
    torch.manual_seed(cfg.seed)
    if getattr(model, "fits_in_one_call", False):  # a classic model: one fit, no gradient steps
        return _fit_estimator(model, data, cfg, metric, callbacks)
    plugin = plugin or TrainingPlugin()
    device = resolve_device(cfg.device, what="[train] device")
    model.to(device)
    amp = MixedPrecision(resolve_precision(cfg.precision, device, model, clips_per_sample=plugin.clips_gradients), device)
    objective = _on_device(objective or _task_objective(data, cfg), device)
    generator = torch.Generator().manual_seed(cfg.seed)
    model, optimizer = plugin.setup(model, make_optimizer(model, cfg), n_train=len(data.train),
                                    batch_size=cfg.batch_size, epochs=cfg.epochs, generator=generator)
    train, val_split = place(data.train, device), place(data.val, device).split
    augment = augmenter_for(info.input_kind, info.input_shape, cfg.seed, strength=cfg.augment_strength,
                            device=device) if cfg.augment else None
    l1_params = [p for p in model.parameters() if p.ndim >= 2] if cfg.l1 else []
    clip = cfg.clip_grad if not plugin.clips_gradients else None
    stopper = EarlyStopping(model, metric, higher_is_better=higher_is_better(metric), patience=cfg.patience)
    hooks = [stopper, *callbacks]
    step_hooks = [cb for cb in hooks if type(cb).on_step_end is not Callback.on_step_end]
    losses = _LossMeter(sync_each_step=device.type == "cpu" or bool(step_hooks), lr=cfg.lr)
    steps_per_epoch = plugin.steps_per_epoch()
    total_steps = cfg.epochs * steps_per_epoch
    begin = {"epochs": cfg.epochs, "steps_per_epoch": steps_per_epoch, "max_seconds": cfg.max_seconds}
    for cb in hooks:
        cb.on_train_begin(begin)
    history: list[dict[str, float]] = []
    step, lr, stopped, start = 0, cfg.lr, "finished all epochs", time.perf_counter()
    model.train()
    with tf32_matmuls(device):
        for epoch in range(1, cfg.epochs + 1):
            losses.start_epoch(epoch)
            for idx in train.indices(plugin.batches(epoch)):
                elapsed = time.perf_counter() - start
                lr = lr_at(max(step / total_steps, elapsed / cfg.max_seconds if cfg.max_seconds else 0.0), cfg)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                x, y = train.batch(idx)
                if augment is not None:
                    x = augment(x)
                with amp.autocast():
                    loss, _ = objective(model, x, y)
                if l1_params:
                    loss = loss + cfg.l1 * sum(p.abs().sum() for p in l1_params)
                optimizer.zero_grad(set_to_none=True)
                amp.backward(loss)
                if clip:
                    amp.unscale(optimizer)
                    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
                amp.step(optimizer)
                value = losses.add(loss, len(idx), step)
                step += 1
                for cb in step_hooks:
                    cb.on_step_end({"epoch": epoch, "step": step, "loss": value, "lr": lr})
                if cfg.max_seconds and time.perf_counter() - start >= cfg.max_seconds:
                    break
            logs: dict[str, Any] = {"epoch": epoch, "step": step, "lr": lr, "train_loss": losses.epoch_mean(step),
                                    "elapsed": time.perf_counter() - start}
            with amp.autocast():
                val = evaluate(model, val_split, objective.evaluation(), n_classes=info.n_outputs, batch_size=cfg.eval_batch_size)
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
                     train_seconds=train_seconds, stopped=stopped, history=history,
                     extra={"device": str(device), **amp.summary(), **plugin.summary()})


class _LossMeter:
    """The epoch's mean training loss, and the NaN check.

    On the CPU (or when a callback reads every step's loss) each step's loss is read at once, so a
    divergence stops at the step it happened. On an accelerator the losses stay on the device and are read
    once an epoch: a per-step read would make the host wait for the GPU at every step. A NaN or infinity
    survives the weighted sum, so the check still fails the run, at the end of that epoch.
    """

    def __init__(self, *, sync_each_step: bool, lr: float) -> None:
        self.sync, self.lr = sync_each_step, lr

    def start_epoch(self, epoch: int) -> None:
        self.epoch, self.total, self.seen, self.pending, self.sizes = epoch, 0.0, 0, [], []

    def add(self, loss: torch.Tensor, n: int, step: int) -> float | None:
        self.seen += n
        if not self.sync:
            self.pending.append(loss.detach())
            self.sizes.append(n)
            return None
        value = loss.item()
        self._check(value, f"at epoch {self.epoch}, step {step}")
        self.total += value * n
        return value

    def epoch_mean(self, step: int) -> float:
        if self.pending:  # one weighted sum and one read for the whole epoch
            weights = torch.tensor(self.sizes, dtype=torch.float32, device=self.pending[0].device)
            self.total += float(torch.stack(self.pending).float() @ weights)
        mean = self.total / max(self.seen, 1)
        self._check(mean, f"during epoch {self.epoch} (by step {step})")
        return mean

    def _check(self, value: float, where: str) -> None:
        if not math.isfinite(value):
            raise TrainingDiverged(f"loss became {value} {where}; lower the learning rate (lr={self.lr:g})")


def _on_device(objective: Objective, device: torch.device) -> Objective:
    """An objective that carries tensors (class weights, a teacher) moves them to the training device."""
    mover = getattr(objective, "to", None)
    return mover(device) if callable(mover) else objective


def _task_objective(data: DataBundle, cfg: TrainConfig) -> Objective:
    """The task's loss with the configured label smoothing and (for classes) balanced class weights."""
    info = data.info
    weights = balanced_class_weights(data.train.y, info.n_outputs) if cfg.class_weights and info.task == "classification" else None
    return Objective(info.task, label_smoothing=cfg.label_smoothing, class_weights=weights)


def _fit_estimator(model: nn.Module, data: DataBundle, cfg: TrainConfig, metric: str,
                   callbacks: list[Callback] | tuple[Callback, ...]) -> FitResult:
    """A model fitted in one call (scikit-learn's): fit on the training split, score the validation split once."""
    hooks = list(callbacks)
    for cb in hooks:
        cb.on_train_begin({"epochs": 1, "steps_per_epoch": 1, "max_seconds": cfg.max_seconds})
    start = time.perf_counter()
    model.fit_estimator(data.train.x, data.train.y, seed=cfg.seed)
    train_seconds = time.perf_counter() - start
    info = data.info
    val = evaluate(model, data.val, Objective(info.task), n_classes=info.n_outputs, batch_size=cfg.eval_batch_size)
    logs: dict[str, Any] = {"epoch": 1, "step": 1, "lr": 0.0, "train_loss": float("nan"), "elapsed": train_seconds,
                            **{f"val_{k}": v for k, v in val.items()}}
    for cb in hooks:
        cb.on_epoch_end(logs)
    for cb in hooks:
        cb.on_train_end({"epochs": 1, "steps": 1, "train_seconds": train_seconds, "stopped": "fitted"})
    return FitResult(metric=metric, best_val=val[metric], best_epoch=1, epochs=1, steps=1, train_seconds=train_seconds,
                     stopped="fitted in one call", history=[logs])
