"""Evaluate a model on a split without keeping big outputs around (logits are reduced batch by batch).

Batches go to the device the model is on (a no-op for data already there); results come back to the host.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from sizeup._device import module_device
from sizeup.data.bundle import Split
from sizeup.training.metrics import compute_metrics, metric_se
from sizeup.training.objectives import Objective

__all__ = ["evaluate", "predict"]


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, *, batch_size: int = 1024) -> torch.Tensor:
    """Model outputs for ``x`` in eval mode, batch by batch, on the model's device (returned on ``x``'s)."""
    was_training = model.training
    model.eval()
    dev = module_device(model)
    try:
        return torch.cat([model(x[i : i + batch_size].to(dev)).to(x.device) for i in range(0, len(x), batch_size)])
    finally:
        model.train(was_training)


@torch.no_grad()
def evaluate(model: nn.Module, split: Split, objective: Objective, *, n_classes: int, batch_size: int = 1024,
             se_of: str | None = None) -> dict[str, float]:
    """Every metric of the task on ``split`` (the loss is the unsmoothed, unweighted one); with ``se_of``, also
    ``"<metric>_se"``, that metric's standard error on these rows (``metric_se``).

    A model with an ``evaluation_cache()`` context (a frozen pretrained encoder) runs inside it, so it can reuse
    the features of rows it has seen; ``sizeup.measure`` never enters it.
    """
    was_training = model.training
    model.eval()
    dev = module_device(model)
    preds, total, count = [], 0.0, 0
    cache = getattr(model, "evaluation_cache", None)
    try:
        with cache() if cache is not None else contextlib.nullcontext():
            for i in range(0, len(split), batch_size):
                x = split.x[i : i + batch_size].to(dev, non_blocking=True)
                y = split.y[i : i + batch_size].to(dev, non_blocking=True)
                loss, out = objective(model, x, y, train=False)
                weight = (y[:, 1:] != 0).sum().item() if objective.task == "seq2seq" else len(x)
                total += loss.item() * weight
                count += weight
                preds.append(out.float() if objective.task == "regression" else out.argmax(-1))
    finally:
        model.train(was_training)
    preds = torch.cat(preds).cpu()
    scores = compute_metrics(objective.task, preds, split.y.cpu(), total / max(count, 1), n_classes)
    if se_of is not None:
        scores[f"{se_of}_se"] = metric_se(objective.task, se_of, preds, split.y.cpu(), n_classes)
    return scores
