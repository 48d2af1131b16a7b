"""The public verbs that span several stages, composed here so that each stage imports only those below it.

``search`` selects a model (``sizeup.selection``), then the report is written from the run folder's files.
``compress`` and ``explain`` work on a finished run. ``train`` trains one model, federatedly when the task has
a ``[federated]`` section (``sizeup.federated`` sits above ``sizeup.training``, so the choice is made here).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from sizeup.compression import compress
from sizeup.explanation import explain
from sizeup.selection import search
from sizeup.task import Task
from sizeup.training.run import TrainResult, as_task
from sizeup.training.run import train as _train

__all__ = ["search", "compress", "explain", "train"]


def train(task: Task | str | Path, family: str, **kwargs: Any) -> TrainResult:
    """:func:`sizeup.training.run.train`, with :func:`sizeup.federated.fit_federated` as the training procedure
    when the task has ``[federated]``: each round's sampled clients train with the same loop on their own rows."""
    task = as_task(task)
    if task.federated is not None and "fit_fn" not in kwargs:
        from sizeup.federated import fit_federated

        kwargs["fit_fn"] = functools.partial(fit_federated, spec=task.federated)
    return _train(task, family, **kwargs)
