"""The server's side of federated averaging, whatever carries the messages (in-process calls or Flower).

A :class:`FederatedServer` holds the global model. ``open_round`` says who trains this round, from which weights,
at which learning rate and with which weight in the average; ``close_round`` combines what they sent back.
The in-process simulation (:mod:`sizeup.federated.rounds`) and the exported Flower ServerApp both drive it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from sizeup.federated.aggregation import cohort_weights, combine, fixed_point_bits, noise_generator, sample_cohort
from sizeup.federated.dp import PrivacyPlan, plan_privacy
from sizeup.federated.secagg import RING_BITS
from sizeup.federated.vectors import exchanged_keys, load_vector, payload_bytes, to_vector
from sizeup.task import FederatedSpec
from sizeup.training.config import TrainConfig
from sizeup.training.optim import lr_at

__all__ = ["FederatedServer", "RoundPlan"]


@dataclass
class RoundPlan:
    """One round as the server announces it: the cohort (client ids), their weights, the learning rate, fixed-point bits."""

    round: int
    cohort: list[int]
    weights: list[float]
    lr: float
    bits: int | None  # fractional bits of the fixed-point encoding under secure aggregation, else None
    start: torch.Tensor = field(repr=False)  # the global state the cohort starts from


class FederatedServer:
    """Samples, weights and combines; knows each client's row count and nothing else about its data."""

    def __init__(self, model: nn.Module, spec: FederatedSpec, config: TrainConfig, *, sizes: list[int],
                 noise_seed: int | None) -> None:
        self.model, self.spec, self.config, self.sizes = model, spec, config, sizes
        self.keys = exchanged_keys(model)
        self.values = sum(model.state_dict()[k].numel() for k in self.keys)
        # a target epsilon that the clients cannot meet fails here, before any training
        self.plan: PrivacyPlan | None = plan_privacy(spec, values=self.values) if spec.private else None
        self.noise = noise_generator(noise_seed)

    @property
    def clip(self) -> float | None:
        return self.plan.clip if self.plan is not None else None

    @property
    def payload(self) -> int:
        """Bytes of one copy of the model's exchanged state."""
        return payload_bytes(self.model, self.keys)

    def open_round(self, round_: int) -> RoundPlan:
        spec = self.spec
        cohort = sample_cohort(spec, seed=self.config.seed, round_=round_)
        weights = cohort_weights([self.sizes[i] for i in cohort], self.plan)
        bits = fixed_point_bits(weights, self.clip) if spec.secure_aggregation and cohort else None
        lr = lr_at((round_ - 1) / spec.rounds, self.config)
        return RoundPlan(round_, cohort, weights, lr, bits, to_vector(self.model, self.keys))

    def close_round(self, plan: RoundPlan, uploads: list) -> None:
        """New global state = start + the combined uploads (decoded, and noised under DP)."""
        mean = combine(uploads, n_values=len(plan.start), plan=self.plan, bits=plan.bits, generator=self.noise)
        load_vector(self.model, self.keys, plan.start + mean)

    def round_bytes(self, plan: RoundPlan) -> int:
        """Down (the global state to each client) plus up (each client's update at the model's precision, or its
        masked fixed-point vector under secure aggregation, 8 bytes a value)."""
        up = RING_BITS // 8 * self.values if plan.bits is not None else self.payload
        return len(plan.cohort) * (self.payload + up)
