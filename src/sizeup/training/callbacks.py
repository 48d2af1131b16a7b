"""Hooks into the training loop (Keras-style): named events receive a ``logs`` dict; a callback stops by flag."""

from __future__ import annotations

import copy
import math
from typing import Any

from torch import nn

__all__ = ["Callback", "EarlyStopping"]


class Callback:
    """Override any of the events; set ``stop_training = True`` (with a reason) to end training."""

    stop_training: bool = False
    stop_reason: str = ""

    def on_train_begin(self, logs: dict[str, Any]) -> None: ...
    def on_step_end(self, logs: dict[str, Any]) -> None: ...
    def on_epoch_end(self, logs: dict[str, Any]) -> None: ...
    def on_train_end(self, logs: dict[str, Any]) -> None: ...


class EarlyStopping(Callback):
    """Track the best validation metric, keep those weights, stop after ``patience`` epochs without gain.

    An epoch that ties the best metric with a lower validation loss counts as a gain. A count-based
    metric such as accuracy on a small validation split saturates: many epochs reach the same (often
    perfect) score, and the first of them is usually the least trained, taken mid-schedule at a high
    learning rate. The loss still tells them apart.
    """

    def __init__(self, model: nn.Module, metric: str, *, higher_is_better: bool, patience: int | None) -> None:
        self.model, self.metric, self.higher, self.patience = model, metric, higher_is_better, patience

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self.best, self.best_loss, self.best_epoch, self.best_state, self.wait = None, math.inf, -1, None, 0
        self.stop_training, self.stop_reason = False, ""

    def _gains(self, value: float, loss: float) -> bool:
        if self.best is None or (value > self.best if self.higher else value < self.best):
            return True
        return value == self.best and loss < self.best_loss

    def on_epoch_end(self, logs: dict[str, Any]) -> None:
        value = logs[f"val_{self.metric}"]
        if not math.isfinite(value):
            return
        loss = logs.get("val_loss", math.nan)
        loss = loss if math.isfinite(loss) else math.inf
        if self._gains(value, loss):
            self.best, self.best_loss, self.best_epoch, self.wait = value, loss, logs["epoch"], 0
            self.best_state = copy.deepcopy(self.model.state_dict())
            return
        self.wait += 1
        if self.patience is not None and self.wait >= self.patience:
            self.stop_training = True
            self.stop_reason = f"early stopping: no better val_{self.metric} for {self.patience} epochs"

    def on_train_end(self, logs: dict[str, Any]) -> None:
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
