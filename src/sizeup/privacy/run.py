"""``train`` with DP-SGD: the family's private variant, checked, trained by the one loop with the DP-SGD plugin."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

from sizeup.data import DataBundle, load_data
from sizeup.errors import SizeupError
from sizeup.privacy.settings import plugin_for, private_config
from sizeup.privacy.support import private_knobs, why_not_private
from sizeup.task import Task
from sizeup.training.run import TrainResult, as_task, resolve_config, train

__all__ = ["train_private", "with_epsilon"]


def with_epsilon(task: Task, epsilon: float | None) -> Task:
    """``task`` with ``[privacy] epsilon`` replaced (``None`` leaves it as the task file sets it)."""
    if epsilon is None:
        return task
    if not (isinstance(epsilon, (int, float)) and epsilon > 0 and math.isfinite(epsilon)):
        raise SizeupError(f"[privacy] epsilon (--epsilon) must be a positive number, got {epsilon!r}; e.g. 3")
    privacy = task.privacy.model_validate({**task.privacy.model_dump(), "epsilon": float(epsilon)})
    return task.model_copy(update={"privacy": privacy})


def train_private(task: Task | str | Path, family: str, *, epsilon: float | None = None, preset: str | None = None,
                  knobs: dict[str, Any] | None = None, data: DataBundle | None = None, **kwargs: Any) -> TrainResult:
    """Train one model of ``family`` with (ε, δ)-DP-SGD; ``summary()["privacy"]`` holds the ε it spent.

    ``epsilon`` overrides the task's ``[privacy] epsilon``. The family's private variant is built (GroupNorm,
    Opacus' recurrent cells, linear attention projections); a model DP-SGD cannot train is refused before
    anything trains or is written. Other arguments are :func:`sizeup.training.run.train`'s.
    """
    from sizeup.zoo import build, make_config

    task = with_epsilon(as_task(task), epsilon)
    if not task.privacy.enabled:
        raise SizeupError(f"task {task.name!r} has no [privacy] epsilon; set it in the task file or pass epsilon=")
    config = make_config(family, preset, **private_knobs(family, knobs))
    data = data or load_data(task)
    reason = why_not_private(build(family, data.info, config=config))
    if reason:
        raise SizeupError(f"{family} cannot train with [privacy] epsilon: {reason}")
    settings = {k: v for k, v in kwargs.items() if k not in ("out", "force", "save", "callbacks")}
    private_config(resolve_config(task, data.info, **settings))  # refuses what DP-SGD cannot honour, up front
    kwargs["class_weights"] = False  # see private_config
    return train(task, family, knobs=dataclasses.asdict(config), data=data, plugin=plugin_for(task), **kwargs)
