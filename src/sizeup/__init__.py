"""sizeup: which model should I use for this task, on this data, on this hardware, within this budget?"""

from __future__ import annotations

import os as _os

# The profiler that measures peak memory would print two log lines per call; keep stderr for progress.
_os.environ.setdefault("KINETO_LOG_LEVEL", "99")

__version__ = "0.1.0"

from sizeup.errors import SizeupError  # noqa: E402
from sizeup.task import Task  # noqa: E402

__all__ = ["Task", "SizeupError", "train", "load", "build", "list_families", "list_datasets", "load_data",
           "measure", "__version__"]


def __getattr__(name: str):
    """Heavy parts are imported on first use, so ``import sizeup`` stays fast."""
    if name == "train":
        from sizeup.training.run import train

        return train
    if name == "load":
        from sizeup.checkpoint import load_model

        return load_model
    if name in ("build", "list_families"):
        import sizeup.zoo as zoo

        return getattr(zoo, name)
    if name in ("list_datasets", "load_data"):
        import sizeup.data as data

        return getattr(data, name)
    if name == "measure":
        from sizeup.measure import measure

        return measure
    raise AttributeError(f"module 'sizeup' has no attribute {name!r}")
