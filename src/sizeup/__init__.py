"""sizeup: which model should I use for this task, on this data, on this hardware, within this budget?

The public verbs are plain functions, imported on first use so that ``import sizeup`` stays fast. Each
lives in a package named by a noun (``sizeup.selection`` holds ``search``, ``sizeup.compression`` holds
``compress``), so importing a package never shadows the verb of the same spelling.
"""

from __future__ import annotations

import importlib
import os as _os

# The profiler that measures peak memory would print two log lines per call; keep stderr for progress.
_os.environ.setdefault("KINETO_LOG_LEVEL", "99")

__version__ = "0.1.0"

from sizeup.errors import SizeupError  # noqa: E402
from sizeup.task import Task  # noqa: E402

# verb -> (module, attribute): heavy parts are imported on first use
_LAZY = {
    "train": ("sizeup.api", "train"),
    "train_private": ("sizeup.privacy", "train_private"),
    "privacy_curve": ("sizeup.privacy", "privacy_curve"),
    "search": ("sizeup.api", "search"),
    "work": ("sizeup.selection", "work"),
    "train_parallel": ("sizeup.distributed", "train_parallel"),
    "estimate": ("sizeup.estimation", "estimate"),
    "cost": ("sizeup.costs", "cost"),
    "measure": ("sizeup.measurement", "measure"),
    "compress": ("sizeup.api", "compress"),
    "explain": ("sizeup.api", "explain"),
    "generate": ("sizeup.generation", "generate"),
    "scale": ("sizeup.scaling", "scale"),
    "load": ("sizeup.checkpoint", "load_model"),
    "build": ("sizeup.zoo", "build"),
    "list_families": ("sizeup.zoo", "list_families"),
    "list_datasets": ("sizeup.data", "list_datasets"),
    "load_data": ("sizeup.data", "load_data"),
}

__all__ = ["Task", "SizeupError", *_LAZY, "__version__"]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'sizeup' has no attribute {name!r}")
    module_name, attr = _LAZY[name]
    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value  # later lookups skip __getattr__
    return value
