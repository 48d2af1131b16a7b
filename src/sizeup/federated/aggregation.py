"""A round's server side and the client's half of it: who takes part, with what weight, and how the updates combine.

Plain FedAvg weights each client by its rows (McMahan et al. 2017, Algorithm 1). DP-FedAvg gives every sampled
client the weight ``1 / (qK)`` and noises the sum (:mod:`sizeup.federated.dp`). With secure aggregation the
client sends a masked fixed-point vector and the server only adds (:mod:`sizeup.federated.secagg`). The
simulation and the exported Flower app both go through these functions, so a deployment samples, weights and
combines exactly as the simulation does.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from sizeup.federated import secagg
from sizeup.federated.dp import PrivacyPlan, add_noise, clip_update
from sizeup.task import FederatedSpec

__all__ = ["sample_cohort", "cohort_weights", "value_bound", "fixed_point_bits", "prepare_upload", "combine",
           "VALUE_BOUND", "noise_generator"]

VALUE_BOUND = 64.0  # secure aggregation clamps each value of an update to +-64 before fixed-point encoding


def sample_cohort(spec: FederatedSpec, *, seed: int, round_: int) -> list[int]:
    """The clients of round ``round_``: ``fraction`` of them at random, or each with probability ``fraction`` under DP
    (the Poisson sampling the privacy accounting assumes; a round may then have no client at all)."""
    rng = np.random.default_rng([seed, round_, 21])
    if spec.private:
        return np.flatnonzero(rng.random(spec.clients) < spec.fraction).tolist()
    m = max(1, round(spec.fraction * spec.clients))
    return sorted(rng.choice(spec.clients, size=m, replace=False).tolist())


def cohort_weights(sizes: list[int], plan: PrivacyPlan | None) -> list[float]:
    """Each client's weight in the average: its share of the round's rows, or ``1 / (qK)`` under DP."""
    if plan is not None:
        return [1.0 / plan.expected_clients] * len(sizes)
    total = sum(sizes)
    return [n / total for n in sizes]


def value_bound(clip: float | None) -> float:
    """The largest value a (clipped) update may hold under secure aggregation: the DP clip norm, or a fixed bound."""
    return clip if clip is not None else VALUE_BOUND


def fixed_point_bits(weights: list[float], clip: float | None) -> int:
    """Fractional bits for the round: the decoded sum is at most the value bound times the sum of weights."""
    return secagg.fixed_point_bits(value_bound(clip) * max(sum(weights), 1e-12))


def prepare_upload(delta: torch.Tensor, *, weight: float, clip: float | None, masking: dict | None) -> tuple[Any, dict]:
    """The client's half: clip under DP, then either the weighted update (plain) or a masked fixed-point vector.

    ``masking`` holds ``me``, ``keys`` (a :class:`secagg.KeyPair`), ``peers`` (client -> public key), ``round``
    and ``bits`` when secure aggregation is on. Returns the upload and what the client reports about it.
    """
    report: dict[str, Any] = {}
    if clip is not None:
        delta, report["clipped"] = clip_update(delta, clip)
    weighted = (delta * weight).float()  # float32 on the wire, as the model's own tensors
    if masking is None:
        return weighted, report
    # The masked vector encodes exactly what a plain upload would carry, so the two sums agree to 2^-57.
    upload, report["clamped"] = secagg.masked_upload(
        weighted.double(), me=masking["me"], keys=masking["keys"], peers=masking["peers"], round_=masking["round"],
        weight=1.0, bound=value_bound(clip) * weight, bits=masking["bits"])
    return upload, report


def combine(uploads: list, *, n_values: int, plan: PrivacyPlan | None, bits: int | None,
            generator: torch.Generator) -> torch.Tensor:
    """The server's half: add the uploads (decoding the ring sum under secure aggregation), then noise under DP."""
    if not uploads:
        total = torch.zeros(n_values, dtype=torch.float64)
    elif bits is not None:
        total = secagg.decode(secagg.add_uploads(uploads), bits)
    else:
        total = torch.stack(uploads).double().sum(dim=0)
    if plan is None:
        return total
    return add_noise(total, plan, generator)  # each upload carries its weight 1/(qK) already


def noise_generator(seed: int | None) -> torch.Generator:
    """The DP noise source: seeded in the simulation (reproducible), from the OS when deployed (unpredictable)."""
    return torch.Generator().manual_seed(seed if seed is not None else int.from_bytes(os.urandom(8), "big") >> 1)
