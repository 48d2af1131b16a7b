"""FedProx's local objective (Li et al. 2020, "Federated Optimization in Heterogeneous Networks", arXiv:1812.06127,
eq. 2): the task's loss plus ``mu / 2 * ||w - w_global||^2``, which keeps a client's weights near the global model
it started the round from. With ``mu = 0`` it is plain FedAvg (McMahan et al. 2017, arXiv:1602.05629).
"""

from __future__ import annotations

import torch
from torch import nn

from sizeup.training.objectives import Objective

__all__ = ["ProximalObjective"]


class ProximalObjective:
    """An objective for :func:`sizeup.training.fit`: ``task loss + mu/2 * sum ||p - p_global||^2`` while training."""

    def __init__(self, task_objective: Objective, model: nn.Module, *, mu: float) -> None:
        self.task, self.mu = task_objective, mu
        self.anchors = [p.detach().clone() for p in model.parameters()]  # the global weights this round began from

    def __call__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, train: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        loss, out = self.task(model, x, y, train=train)
        if not train:
            return loss, out
        drift = sum(((p - a) ** 2).sum() for p, a in zip(model.parameters(), self.anchors))
        return loss + 0.5 * self.mu * drift, out

    def evaluation(self) -> Objective:
        """Validation scores the task alone."""
        return self.task
