"""sizeup: which model should I use for this task, on this data, on this hardware, within this budget?"""

from __future__ import annotations

import os as _os

# The profiler that measures peak memory would print two log lines per call; keep stderr for progress.
_os.environ.setdefault("KINETO_LOG_LEVEL", "99")

__version__ = "0.1.0"

from sizeup.errors import SizeupError  # noqa: E402
from sizeup.task import Task  # noqa: E402

__all__ = ["Task", "SizeupError", "train", "search", "estimate", "explain", "load", "build", "list_families", "list_datasets",
           "load_data", "measure", "generate", "compress", "__version__"]


_LAZY = {  # heavy parts are imported on first use, so ``import sizeup`` stays fast
    "train": ("sizeup.training.run", "train"), "load": ("sizeup.checkpoint", "load_model"),
    "build": ("sizeup.zoo", "build"), "list_families": ("sizeup.zoo", "list_families"),
    "list_datasets": ("sizeup.data", "list_datasets"), "load_data": ("sizeup.data", "load_data"),
    "search": ("sizeup.search", None), "estimate": ("sizeup.estimate", None), "explain": ("sizeup.explain", None), "measure": ("sizeup.measure", None),
    "compress": ("sizeup.compress", None),
    "generate": ("sizeup.generate", None),
}


def __getattr__(name: str):
    """``search``, ``estimate``, ``measure``, ``generate`` and ``compress`` are modules that are also callable (see ``_callable``)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'sizeup' has no attribute {name!r}")
    import importlib

    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    return module if attr is None else getattr(module, attr)
