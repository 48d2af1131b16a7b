"""A data set described for people: split sizes, input kind and shape, and each split's class counts."""

from __future__ import annotations

from typing import Any

from sizeup.data.bundle import DataBundle

__all__ = ["summarize_data"]


def summarize_data(data: DataBundle) -> dict[str, Any]:
    """Split sizes, input kind and shape, and (for classification) the class counts of every split."""
    info = data.info
    out: dict[str, Any] = {"name": info.name, "input_kind": info.input_kind, "task": info.task,
                           "input_shape": list(info.input_shape), "n_outputs": info.n_outputs,
                           "sizes": {"train": len(data.train), "val": len(data.val), "test": len(data.test)},
                           "class_names": info.class_names}
    if info.task == "classification":
        out["class_counts"] = {name: split.y.long().bincount(minlength=info.n_outputs).tolist()
                               for name, split in (("train", data.train), ("val", data.val), ("test", data.test))}
    if "pii" in info.notes:
        out["pii"] = info.notes["pii"]
    return out
