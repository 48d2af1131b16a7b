"""What to minimise for each task: cross-entropy (optionally smoothed and class-weighted) or MSE."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Objective", "balanced_class_weights"]


class Objective:
    """Computes ``(loss, outputs)`` for a batch; outputs are what the metrics read."""

    def __init__(self, task: str, *, label_smoothing: float = 0.0, class_weights: torch.Tensor | None = None) -> None:
        self.task = task
        self.label_smoothing = label_smoothing
        self.class_weights = class_weights

    def __call__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, train: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        smoothing = self.label_smoothing if train else 0.0
        if self.task == "classification":
            out = model(x)
            return F.cross_entropy(out, y, weight=self.class_weights if train else None, label_smoothing=smoothing), out
        if self.task == "regression":
            out = model(x)
            return F.mse_loss(out.reshape(y.shape), y), out
        if self.task == "seq2seq":
            out = model(x, y[:, :-1])
            loss = F.cross_entropy(out.flatten(0, 1), y[:, 1:].flatten(), ignore_index=0, label_smoothing=smoothing)
            return loss, out
        out = model(x)  # language modeling: next-token prediction at every position
        return F.cross_entropy(out.flatten(0, 1), y.flatten(), label_smoothing=smoothing), out

    def evaluation(self) -> Objective:
        """The objective validation scores with (called with ``train=False``: no smoothing, no class weights)."""
        return self

    def to(self, device: torch.device) -> Objective:
        """Put what the loss reads besides the batch (the class weights) on the training device."""
        if self.class_weights is not None:
            self.class_weights = self.class_weights.to(device)
        return self


def balanced_class_weights(y: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Weights inversely proportional to class frequency (scikit-learn's ``class_weight='balanced'``)."""
    counts = torch.bincount(y, minlength=n_classes).float().clamp_min(1.0)
    return len(y) / (n_classes * counts)

