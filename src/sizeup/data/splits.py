"""Deterministic splits: validation is carved from train (never from test), stratified for classes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from sizeup.data.bundle import Split
from sizeup.errors import SizeupError

__all__ = ["carve", "carve_splits", "carved_size", "SPLIT_SEED"]

SPLIT_SEED = 0  # splits never depend on the training seed, so every run sees the same data


def carved_size(n: int, fraction: float) -> int:
    """How many of ``n`` samples a carve of ``fraction`` takes: scikit-learn rounds a float test_size up."""
    return math.ceil(fraction * n)


def carve(split: Split, fraction: float, *, stratify: bool) -> tuple[Split, Split]:
    """Split off ``fraction`` of ``split`` -> (rest, carved), stratified by label when asked."""
    from sklearn.model_selection import train_test_split  # 2.6 s to import; only data loading pays it

    n = len(split)
    idx = np.arange(n)
    labels = split.y.numpy() if stratify else None
    if stratify and (np.unique(labels).size * 2 > n * fraction or np.bincount(labels).min() < 2):
        labels = None  # too few samples per class to stratify; fall back to a plain shuffle
    rest, carved = train_test_split(idx, test_size=fraction, random_state=SPLIT_SEED, stratify=labels)
    rest, carved = torch.as_tensor(np.sort(rest)), torch.as_tensor(np.sort(carved))
    return split.subset(rest), split.subset(carved)


def _sizes(n: int, *, test_fraction: float | None, val_fraction: float | None) -> tuple[int, list[int]]:
    """(train size, carved sizes) after carving test (if asked), then validation (if asked), from ``n`` samples."""
    carved = []
    for fraction in (test_fraction, val_fraction):
        if fraction is not None:
            carved.append(carved_size(n, fraction))
            n -= carved[-1]
    return n, carved


def _check_enough(n: int, *, test_fraction: float | None, val_fraction: float | None, min_train: int,
                  origin: str) -> None:
    """Refuse data too small to give every carved split a sample and keep ``min_train`` to train on (a classifier
    needs a sample of each class); say how many samples that takes at least."""
    def enough(m: int) -> bool:
        train, carved = _sizes(m, test_fraction=test_fraction, val_fraction=val_fraction)
        return train >= min_train and min(carved, default=1) >= 1

    if enough(n):
        return
    need = next(m for m in itertools.count(n + 1) if enough(m))
    parts = [f"a test split ([data] test_fraction = {test_fraction:g})"] if test_fraction is not None else []
    parts += [f"a validation split ([data] val_fraction = {val_fraction:g})"] if val_fraction is not None else []
    keep = "one" if min_train == 1 else f"{min_train} (one per class)"
    raise SizeupError(f"{origin}: {n} samples are too few to carve {' and '.join(parts) or 'the splits'} and keep "
                      f"{keep} to train on; give at least {need} samples")


def carve_splits(train: Split, *, test: Split | None, val: Split | None, test_fraction: float, val_fraction: float,
                 stratify: bool, origin: str) -> tuple[Split, Split, Split]:
    """(train, validation, test): a missing test split, then a missing validation split, carved from train.

    The sizes are checked first, so too little data is one line naming the source and the samples it needs.
    ``stratify`` (classification) also asks for at least one training sample per class.
    """
    if len(train) == 0:
        raise SizeupError(f"{origin}: the data set is empty; point [data] source at a file with samples")
    _check_enough(len(train), test_fraction=test_fraction if test is None else None,
                  val_fraction=val_fraction if val is None else None, origin=origin,
                  min_train=int(torch.unique(train.y).numel()) if stratify else 1)
    if test is None:
        train, test = carve(train, test_fraction, stratify=stratify)
    if val is None:
        train, val = carve(train, val_fraction, stratify=stratify)
    for name, split in (("validation", val), ("test", test)):
        if len(split) == 0:
            raise SizeupError(f"{origin}: the official {name} split is empty; add samples to it or leave it out")
    return train, val, test
