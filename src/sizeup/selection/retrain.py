"""``[search] retrain_on_full = true``: retrain the recommended configuration on train + validation.

It trains for the number of epochs at which the search found the best validation score, with no
early stopping (no held-out split is left to stop on), and is then tested and measured again.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from sizeup.data.bundle import DataBundle, Split
from sizeup.measurement import measure
from sizeup.task import Task
from sizeup.training import Objective, evaluate, fit
from sizeup.training.run import example_inputs, resolve_config, serving_device

__all__ = ["retrain_on_full"]


def retrain_on_full(model: nn.Module, data: DataBundle, task: Task, *, settings: dict[str, Any], epochs: int,
                    metric: str, private: Any = None) -> tuple[nn.Module, dict[str, Any]]:
    """A fresh model of the same spec trained on train+val; returns it and its test/cost figures. ``private(task,
    config)`` gives the config and plugin of a private run (``selection.private.private_run``)."""
    from sizeup.zoo import build

    full = Split(torch.cat([data.train.x, data.val.x]), torch.cat([data.train.y, data.val.y]))
    merged = dataclasses.replace(data, info=dataclasses.replace(data.info, notes=dict(data.info.notes)), train=full)
    torch.manual_seed(task.train.seed)
    fresh = build(model.spec.family, data.info, config=model.spec.config)
    config, plugin = (private or (lambda _task, c: (c, None)))(
        task, resolve_config(task, data.info, epochs=max(1, epochs), patience=None, **settings))
    result = fit(fresh, merged, config, metric=metric, plugin=plugin)
    test = evaluate(fresh, data.test, Objective(data.info.task), n_classes=data.info.n_outputs)
    m = measure(fresh, example_inputs(data.info, data.test, 256), latency_budget_s=0.5, device=serving_device(task))
    return fresh, {"retrained_on": "train+val", "epochs": result.epochs, "train_seconds": result.train_seconds,
                   **{f"test_{k}": v for k, v in test.items()}, "latency_ms": m.latency_ms, "params": m.params}
