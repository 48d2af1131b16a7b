"""Data sources -> :class:`DataBundle` (train, val, test, and what the models need to know)."""

from __future__ import annotations

from sizeup.data.bundle import DataBundle, DataInfo, Split
from sizeup.data.bundled import BUNDLED, BundledDataset
from sizeup.errors import SizeupError

__all__ = ["DataBundle", "DataInfo", "Split", "load_data", "list_datasets", "BundledDataset"]


def list_datasets() -> list[BundledDataset]:
    """The bundled data sets that work offline."""
    return list(BUNDLED.values())


def load_data(task) -> DataBundle:
    """Load the task's data: a bundled name, or a path (relative to the task file) in a known format."""
    spec = task.data
    if spec.source in BUNDLED:
        bundle = BUNDLED[spec.source].loader(spec)
    else:
        from sizeup.data.files import load_files

        bundle = load_files(task)
    _check_task_fits(bundle, spec.task, spec.source)
    if spec.mask_pii and "pii" not in bundle.info.notes:
        raise SizeupError(f"[data] mask_pii is set, but source {spec.source!r} has no text column to mask; "
                          "set [data] text to the text column, or remove mask_pii")
    return bundle


def _check_task_fits(bundle: DataBundle, task: str, source: str) -> None:
    if bundle.info.task != task:
        raise SizeupError(
            f"[data] task = {task!r} does not fit source {source!r}, which is {bundle.info.task} data; "
            f"set task = {bundle.info.task!r}"
        )
