"""How a training run is carried out, apart from what is trained: the one extension point of :func:`fit`.

A plugin decides how the model and optimizer are wrapped (Opacus' per-sample gradients, DistributedDataParallel)
and which training rows each step sees (a shuffled partition, Poisson sampling, one rank's shard). The loop
itself stays one loop: it asks the plugin for the batches of an epoch and steps through them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

__all__ = ["TrainingPlugin"]


class TrainingPlugin:
    """The default: the model and optimizer as they are, each epoch a fresh shuffled partition into batches.

    Subclasses override any of the methods. ``clips_gradients`` is True when the plugin clips per sample
    itself (DP-SGD), so the loop must not clip the summed gradient again.
    """

    clips_gradients: bool = False

    def setup(self, model: nn.Module, optimizer: torch.optim.Optimizer, *, n_train: int, batch_size: int,
              epochs: int, generator: torch.Generator) -> tuple[nn.Module, torch.optim.Optimizer]:
        """Called once before the first step; returns the (possibly wrapped) model and optimizer to step."""
        self.n_train, self.batch_size, self.generator = n_train, batch_size, generator
        return model, optimizer

    def steps_per_epoch(self) -> int:
        return -(-self.n_train // self.batch_size)

    def batches(self, epoch: int) -> Iterator[torch.Tensor]:
        """Index tensors into the training split, one per optimizer step."""
        yield from torch.randperm(self.n_train, generator=self.generator).split(self.batch_size)

    def teardown(self) -> None:
        """Called once after the last step of a run that did not fail: undo what ``setup`` attached to the model."""

    def summary(self) -> dict[str, Any]:
        """Figures the plugin adds to the run's result (e.g. the privacy budget spent)."""
        return {}

