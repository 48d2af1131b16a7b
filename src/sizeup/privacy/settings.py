"""From the task's ``[privacy]`` table to a run: the budget one training run may spend, its plugin, its settings."""

from __future__ import annotations

import dataclasses

from sizeup.errors import SizeupError
from sizeup.privacy.plugin import DPSGDPlugin
from sizeup.task import Task
from sizeup.training.config import TrainConfig

__all__ = ["run_budget", "plugin_for", "private_config"]


def run_budget(task: Task, *, in_search: bool = False) -> tuple[float, float]:
    """(ε, δ) that one training run may spend.

    Alone, or in a search in the default ``search = "per-candidate"`` mode, that is the task's (ε, δ): each
    candidate is (ε, δ)-DP, the search as a whole is not. With ``search = "conservative"``, each of N trials gets
    (ε / N, δ / N), so by basic composition the whole search (N trials at most) is (ε, δ)-DP; N is
    ``[privacy] trials``, else ``[budget] trials``.
    """
    spec = task.privacy
    if spec.epsilon is None:
        raise SizeupError(f"task {task.name!r} has no [privacy] epsilon; set it (e.g. epsilon = 3.0) or pass --epsilon")
    if not in_search or spec.search == "per-candidate":
        return spec.epsilon, spec.delta
    n = spec.trials or task.budget.trials
    if n is None:
        raise SizeupError("[privacy] search = \"conservative\" splits the budget over a known number of trials; "
                          "set [privacy] trials (or [budget] trials), e.g. trials = 10")
    return spec.epsilon / n, spec.delta / n


def plugin_for(task: Task, *, in_search: bool = False) -> DPSGDPlugin | None:
    """The DP-SGD plugin for one training run of ``task`` (``None`` when the task sets no ``[privacy] epsilon``)."""
    if not task.privacy.enabled:
        return None
    epsilon, delta = run_budget(task, in_search=in_search)
    return DPSGDPlugin(epsilon=epsilon, delta=delta, max_grad_norm=task.privacy.max_grad_norm,
                       accountant=task.privacy.accountant)


def private_config(config: TrainConfig) -> TrainConfig:
    """``config`` as DP-SGD can honour it: no class weights, no L1 penalty (an error if either was asked for).

    Balanced class weights are computed from the training labels' counts, which would leak them, and a weighted
    mean divides by the batch's total weight, which mixes the samples' gradients. An L1 penalty on the weights is
    not a per-sample loss: Opacus' optimizer replaces the gradient with the noisy sum of per-sample ones and would
    drop it silently. Clipping is the plugin's (``max_grad_norm``), so ``clip_grad`` goes unused.
    """
    if config.l1:
        raise SizeupError(f"l1 = {config.l1:g} cannot be honoured under DP-SGD (it is not a per-sample loss); "
                          "set l1 = 0 or use weight_decay")
    return dataclasses.replace(config, class_weights=False)
