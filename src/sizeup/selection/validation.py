"""How candidates are scored, and how sure a score is: one hold-out split, or k-fold cross-validation on small data.

A validation score on a few dozen rows moves by several points from one split to the next. When the rows that
train and validate (everything but the test split) are fewer than :data:`KFOLD_BELOW`, each candidate is scored by
stratified k-fold cross-validation on them (folds fixed by the seed): every row validates once, and the spread of the
fold scores gives a standard error. On larger data one hold-out split is both cheap and precise enough; its standard
error comes from the validation rows themselves (``sizeup.training.metrics.metric_se``). Either way, every leaderboard row carries a
mean and a standard error, which the recommendation's one-standard-error rule reads.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch

from sizeup.data.bundle import DataBundle, Split
from sizeup.errors import SizeupError

__all__ = ["ValidationPlan", "plan_validation", "fold_bundles", "pooled", "fold_se", "KFOLD_BELOW"]

# Below 1,000 train+validation rows a 10 % hold-out split has under 100 rows, where the standard error of an
# accuracy near 90 % is 3 points, larger than the differences between candidates; training on so few rows is cheap,
# so scoring every row k times costs little.
KFOLD_BELOW = 1000
DEFAULT_FOLDS = 5


@dataclass(frozen=True)
class ValidationPlan:
    """``holdout`` (the data's own validation split) or ``kfold`` with ``folds`` folds; ``why`` says which rule chose it."""

    kind: str
    folds: int = 1
    why: str = ""

    @property
    def kfold(self) -> bool:
        return self.kind == "kfold"

    def describe(self) -> str:
        return f"{self.folds}-fold cross-validation" if self.kfold else "one hold-out validation split"


def plan_validation(data: DataBundle, setting: str = "auto", *, holdout_because: str | None = None) -> ValidationPlan:
    """The plan for ``[search] validation`` (``auto``, ``holdout`` or ``kfold[:K]``) on this data. ``holdout_because``
    (a private or federated search) says why only one hold-out split will do."""
    pool = len(data.train) + len(data.val)
    if holdout_because:
        if setting not in ("auto", "holdout"):
            raise SizeupError(f"[search] validation = {setting!r} cannot be honoured: {holdout_because}; use "
                              "\"holdout\" (or auto)")
        return ValidationPlan("holdout", 1, holdout_because)
    kfold_fits = data.info.task in ("classification", "regression")
    if setting == "holdout" or (setting == "auto" and (pool >= KFOLD_BELOW or not kfold_fits)):
        why = (f"{pool:,} train+validation rows" if setting == "auto" else "[search] validation = \"holdout\"")
        return ValidationPlan("holdout", 1, why)
    name, _, k = setting.partition(":")
    folds = int(k) if k else DEFAULT_FOLDS
    if not kfold_fits:
        raise SizeupError(f"[search] validation = {setting!r}: k-fold cross-validation applies to classification and "
                          f"regression, not {data.info.task}; use \"holdout\"")
    smallest = _smallest_class(data)
    if smallest is not None and smallest < folds:
        if setting != "auto":
            raise SizeupError(f"[search] validation = {setting!r}: a class has only {smallest} train+validation rows, "
                              f"fewer than the {folds} folds; use fewer folds or \"holdout\"")
        folds = max(2, smallest)
    why = (f"only {pool:,} train+validation rows (k-fold below {KFOLD_BELOW:,})" if setting == "auto"
           else f"[search] validation = {setting!r}")
    return ValidationPlan("kfold", folds, why)


def _smallest_class(data: DataBundle) -> int | None:
    if data.info.task != "classification":
        return None
    counts = torch.bincount(torch.cat([data.train.y, data.val.y]), minlength=data.info.n_outputs)
    return int(counts[counts > 0].min())


def pooled(data: DataBundle) -> Split:
    """Every row that trains or validates (all but the test split)."""
    return Split(torch.cat([data.train.x, data.val.x]), torch.cat([data.train.y, data.val.y]))


def fold_bundles(data: DataBundle, plan: ValidationPlan, seed: int) -> list[DataBundle]:
    """One bundle per fold: the other folds train, this fold validates, the test split stays as it is."""
    if not plan.kfold:
        return [data]
    from sklearn.model_selection import KFold, StratifiedKFold

    pool = pooled(data)
    splitter = (StratifiedKFold if data.info.task == "classification" else KFold)(plan.folds, shuffle=True, random_state=seed)
    labels = pool.y.numpy() if data.info.task == "classification" else np.zeros(len(pool))
    bundles = []
    for train_idx, val_idx in splitter.split(np.zeros(len(pool)), labels):
        info = dataclasses.replace(data.info, notes=dict(data.info.notes))  # each fold counts its own rows
        bundles.append(DataBundle(info, pool.subset(torch.as_tensor(train_idx)), pool.subset(torch.as_tensor(val_idx)),
                                  data.test))
    return bundles


def fold_se(scores: list[float]) -> float:
    """Standard error of the mean of k fold scores (sample standard deviation / sqrt(k))."""
    finite = [s for s in scores if math.isfinite(s)]
    if len(finite) < 2:
        return float("nan")
    return float(np.std(finite, ddof=1) / math.sqrt(len(finite)))
