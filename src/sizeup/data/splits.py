"""Deterministic splits: validation is carved from train (never from test), stratified for classes."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from sizeup.data.bundle import Split

__all__ = ["carve", "SPLIT_SEED"]

SPLIT_SEED = 0  # splits never depend on the training seed, so every run sees the same data


def carve(split: Split, fraction: float, *, stratify: bool) -> tuple[Split, Split]:
    """Split off ``fraction`` of ``split`` -> (rest, carved), stratified by label when asked."""
    n = len(split)
    idx = np.arange(n)
    labels = split.y.numpy() if stratify else None
    if stratify and (np.unique(labels).size * 2 > n * fraction or np.bincount(labels).min() < 2):
        labels = None  # too few samples per class to stratify; fall back to a plain shuffle
    rest, carved = train_test_split(idx, test_size=fraction, random_state=SPLIT_SEED, stratify=labels)
    rest, carved = torch.as_tensor(np.sort(rest)), torch.as_tensor(np.sort(carved))
    return split.subset(rest), split.subset(carved)
