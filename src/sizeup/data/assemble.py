"""From raw arrays to a checked :class:`DataBundle`: carve missing splits, choose the metric, describe the data."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from sizeup.data.bundle import DataBundle, DataInfo, Split
from sizeup.data.splits import carve_splits
from sizeup.errors import SizeupError

__all__ = ["assemble", "class_labels", "default_metric"]

IMBALANCE_RATIO = 3.0  # majority/minority class ratio above which accuracy hides the small classes


def class_labels(values: Any, *, origin: str) -> tuple[torch.Tensor, list[str]]:
    """Map labels (ints or names) to 0..K-1; floats that are not whole numbers are refused."""
    arr = np.asarray(values)
    if arr.size == 0:
        raise SizeupError(f"{origin}: no labels found; the data set is empty")
    if arr.dtype.kind == "f":
        if np.isnan(arr).any():
            raise SizeupError(f"{origin}: a label is missing (NaN); fill or drop those rows")
        if not np.all(arr == np.round(arr)):
            bad = arr[arr != np.round(arr)][0].item()
            raise SizeupError(
                f"{origin}: label {bad!r} is not an integer class; use integer or named classes, "
                "or set task = \"regression\" in [data]"
            )
        arr = arr.astype(np.int64)
    if arr.dtype.kind in "iu":
        names = [str(v) for v in np.unique(arr)]
        uniq = np.unique(arr)
        if uniq.min() >= 0 and uniq.max() < 10 * len(uniq) and np.array_equal(uniq, np.arange(uniq.max() + 1)):
            return torch.as_tensor(arr, dtype=torch.long), names
    else:
        arr = arr.astype(str)
        names = sorted(np.unique(arr).tolist())
    uniq = np.unique(arr)
    index = {v: i for i, v in enumerate(uniq.tolist())}
    return torch.tensor([index[v] for v in arr.tolist()], dtype=torch.long), [str(u) for u in uniq.tolist()]


def _check_classes(y: torch.Tensor, class_names: list[str] | None, *, origin: str) -> None:
    """One class leaves nothing to learn: every model would "recommend" the constant answer."""
    present = torch.unique(y).tolist()
    if len(present) < 2:
        shown = class_names[present[0]] if class_names and present and present[0] < len(class_names) else present[0]
        raise SizeupError(
            f"{origin}: the training data hold one class only ({str(shown)!r}); a classifier needs at least two — "
            "add samples of another class, or set [data] task = \"regression\" for a numeric target"
        )


def default_metric(task: str, y: torch.Tensor | None = None) -> str:
    """accuracy (macro-F1 when classes are imbalanced), RMSE, perplexity."""
    if task == "classification":
        counts = torch.bincount(y) if y is not None else None
        if counts is not None and counts.min() > 0 and counts.max() / counts.min() > IMBALANCE_RATIO:
            return "macro_f1"
        return "accuracy"
    if task == "regression":
        return "rmse"
    if task == "seq2seq":
        return "sequence_accuracy"
    return "perplexity"


def assemble(
    *,
    name: str,
    input_kind: str,
    task: str,
    train: Split,
    test: Split | None,
    val: Split | None = None,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    metric: str | None = None,
    class_names: list[str] | None = None,
    vocab: list[str] | None = None,
    target_vocab: list[str] | None = None,
    n_outputs: int | None = None,
    notes: dict[str, Any] | None = None,
    origin: str | None = None,
) -> DataBundle:
    """Carve test (if absent) then validation from train, check that a classifier has classes to tell apart,
    and describe the result. ``origin`` names the source in error messages (``data.csv: column 'label'``)."""
    origin = origin or f"data {name!r}"
    train, val, test = carve_splits(train, test=test, val=val, test_fraction=test_fraction, val_fraction=val_fraction,
                                    stratify=task == "classification", origin=origin)
    if task == "classification":
        _check_classes(train.y, class_names, origin=origin)
    if n_outputs is None:
        if task == "classification":
            n_outputs = len(class_names) if class_names else int(train.y.max()) + 1
        elif task == "regression":
            n_outputs = 1 if train.y.ndim == 1 else int(train.y.shape[1])
        else:
            n_outputs = len(target_vocab or vocab or [])
    info = DataInfo(
        name=name,
        input_kind=input_kind,
        task=task,
        input_shape=tuple(int(s) for s in train.x.shape[1:]),
        n_outputs=int(n_outputs),
        metric=metric or default_metric(task, train.y if task == "classification" else None),
        class_names=class_names,
        vocab=vocab,
        target_vocab=target_vocab,
        notes=notes or {},
    )
    return DataBundle(info=info, train=train, val=val, test=test)
