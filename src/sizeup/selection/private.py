"""A search under ``[privacy] epsilon``: every candidate trains with DP-SGD, and the search says what it spent.

Families DP-SGD cannot train (``privacy.NOT_PRIVATE``, and the classic families scikit-learn fits in one call) are
left out before the study starts; every other candidate is built as its family's private variant
(``privacy.PRIVATE_KNOBS``), checked by Opacus' validator before training, and trained with the DP-SGD plugin at
the per-run budget of the task's ``[privacy] search`` mode. Validation is one hold-out split: k folds would be k
more private runs on the same rows. Compression that trains again (pruning's fine-tuning, distillation) would train
on the private rows without noise, so those rows are refused; quantization and casts are post-processing.
"""

from __future__ import annotations

from typing import Any

import optuna
from torch import nn

from sizeup.errors import SizeupError
from sizeup.task import Task
from sizeup.training.config import TrainConfig

__all__ = ["private_families", "private_variant", "why_not", "private_run", "search_privacy", "TRAINING_METHODS"]

TRAINING_METHODS = ("prune", "prune-unstructured", "distill")  # compression that trains on the data again


def _classic(family: str) -> bool:
    from sizeup.zoo import get_family

    return get_family(family).lr_range is None


def private_families(task: Task, families: list[str]) -> list[str]:
    """``families`` DP-SGD (or, under ``[federated]``, federated averaging) can train; all of them otherwise."""
    if task.federated is not None:
        kept = [f for f in families if not _classic(f)]
        if not kept:
            raise SizeupError(f"[federated]: the families {', '.join(families)} are fitted by scikit-learn in one call, "
                              "which federated averaging cannot train; name gradient-trained ones in [search] families")
        return kept
    if not task.privacy.enabled:
        return families
    from sizeup.privacy.support import NOT_PRIVATE

    kept = [f for f in families if f not in NOT_PRIVATE and not _classic(f)]
    if not kept:
        raise SizeupError(f"[privacy] epsilon: none of the families {', '.join(families)} can train with DP-SGD "
                          "(see docs/privacy.md for the families that can); drop [privacy] or name others in "
                          "[search] families")
    return kept


def private_variant(task: Task, family: str, knobs: dict[str, Any]) -> dict[str, Any]:
    """The knobs of ``family``'s private variant (the searched knobs otherwise as drawn)."""
    if not task.privacy.enabled:
        return knobs
    from sizeup.privacy.support import PRIVATE_KNOBS
    from sizeup.zoo._registry import split_name

    return {**knobs, **PRIVATE_KNOBS.get(split_name(family)[0], {})}


def why_not(task: Task, model: nn.Module) -> str | None:
    """Why DP-SGD cannot train ``model`` (None when it can, or when the task is not private)."""
    if not task.privacy.enabled:
        return None
    from sizeup.privacy.support import why_not_private

    return why_not_private(model)


def private_run(task: Task, config: TrainConfig) -> tuple[TrainConfig, Any]:
    """``config`` and the DP-SGD plugin for one training run of a search (no plugin when the task is not private)."""
    if not task.privacy.enabled:
        return config, None
    from sizeup.privacy.settings import plugin_for, private_config

    return private_config(config), plugin_for(task, in_search=True)


def search_privacy(study: optuna.Study, task: Task) -> dict[str, Any] | None:
    """What the whole search spent: basic composition over every trial that trained (and the RDP figure)."""
    if not task.privacy.enabled:
        return None
    from sizeup.privacy.accounting import compose_search

    runs = [r for t in study.get_trials(deepcopy=False) for r in t.user_attrs.get("privacy_runs", [])]
    spent = compose_search(runs, delta=task.privacy.delta)
    return {**spent, "mode": task.privacy.search, "epsilon_target": task.privacy.epsilon,
            "delta_target": task.privacy.delta}
