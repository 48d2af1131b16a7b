"""Client-level differential privacy: DP-FedAvg (McMahan et al. 2018, "Learning Differentially Private Recurrent
Language Models", arXiv:1710.06963, Algorithm 1).

Each round samples every client independently with probability ``q = fraction``; each sampled client's update
is clipped to L2 norm ``C``; the server averages with the fixed denominator ``qK`` (the expected cohort) and adds
Gaussian noise of standard deviation ``z * C / (qK)``. One round is then a sampled Gaussian mechanism, and
``rounds`` of them are accounted with Rényi DP (Mironov 2017), through Opacus' RDP accountant.

A target epsilon fixes ``z``; whether that noise leaves anything to learn depends on how many clients share it:
the noise on the averaged update has norm about ``z * C * sqrt(d) / (qK)`` for ``d`` values, while the update
itself is at most ``C``. A target that needs more noise than signal is refused before training, with the numbers.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from sizeup._imports import optional_import
from sizeup.errors import SizeupError
from sizeup.task import FederatedSpec

__all__ = ["PrivacyPlan", "plan_privacy", "clip_update", "add_noise", "epsilon_after"]

MAX_NOISE_TO_SIGNAL = 1.0  # refuse a target whose per-round noise norm would exceed the largest possible update
# Integer Rényi orders have a closed form (Mironov et al. 2019, "Rényi Differential Privacy of the Sampled Gaussian
# Mechanism", section 3.3) and are ~20x faster than Opacus' fractional defaults; the noise search uses them (its
# bound is at most ~1 % looser), the reported epsilon the full default set.
SEARCH_ORDERS = [*range(2, 64), 80, 96, 128, 192, 256, 512, 1024]


@dataclass
class PrivacyPlan:
    """The DP-FedAvg settings of a run: clip norm, noise multiplier, sampling rate, the fixed denominator."""

    clip: float
    noise_multiplier: float
    sample_rate: float
    delta: float
    expected_clients: float  # qK, the denominator of the average
    noise_to_signal: float  # z * sqrt(d) / (qK)

    @property
    def noise_std(self) -> float:
        """Standard deviation of the noise on each value of the averaged update."""
        return self.noise_multiplier * self.clip / self.expected_clients


def _accountants():
    return optional_import("opacus.accountants", extra="federated", feature="DP-FedAvg's privacy accounting")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Opacus warns when the best order is at an end of its range; the bound is still a valid upper bound."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Optimal order is the")
        yield


def epsilon_after(noise_multiplier: float, sample_rate: float, rounds: int, delta: float) -> float:
    """The epsilon that ``rounds`` sampled Gaussian mechanisms spend, by Rényi DP accounting (Opacus)."""
    if rounds == 0:
        return 0.0
    if noise_multiplier == 0:
        return math.inf
    accountant = _accountants().RDPAccountant()
    accountant.history = [(noise_multiplier, sample_rate, rounds)]
    with _quiet():
        return float(accountant.get_epsilon(delta=delta))


def plan_privacy(spec: FederatedSpec, *, values: int) -> PrivacyPlan:
    """The noise multiplier for ``spec`` (given, or the smallest that meets ``dp_epsilon``); refuse an unmeetable target."""
    q, expected = spec.fraction, spec.fraction * spec.clients
    z = spec.dp_noise
    if z is None:
        utils = optional_import("opacus.accountants.utils", extra="federated", feature="DP-FedAvg's privacy accounting")
        with _quiet():
            z = float(utils.get_noise_multiplier(target_epsilon=spec.dp_epsilon, target_delta=spec.dp_delta,
                                                 sample_rate=q, steps=spec.rounds, accountant="rdp", alphas=SEARCH_ORDERS))
    ratio = z * math.sqrt(values) / expected
    if spec.dp_epsilon is not None and ratio > MAX_NOISE_TO_SIGNAL:
        needed = math.ceil(z * math.sqrt(values) / (MAX_NOISE_TO_SIGNAL * q))
        raise SizeupError(
            f"[federated] dp_epsilon = {spec.dp_epsilon:g} cannot be met with {spec.clients} clients: over "
            f"{spec.rounds} rounds at sampling rate {q:g}, epsilon {spec.dp_epsilon:g} (delta {spec.dp_delta:g}) needs "
            f"noise multiplier {z:.3g}, so the noise on each round's average would be {z:.3g} x sqrt({values:,} values)"
            f" / {expected:g} clients = {ratio:,.1f} times the clipped update; that needs at least {needed:,} clients "
            f"at fraction {q:g}, or a larger dp_epsilon, fewer rounds or a smaller model")
    return PrivacyPlan(spec.dp_clip, z, q, spec.dp_delta, expected, ratio)


def clip_update(delta: torch.Tensor, clip: float) -> tuple[torch.Tensor, bool]:
    """Scale ``delta`` down to L2 norm ``clip`` if it is longer; say whether it was."""
    norm = float(delta.norm())
    if norm <= clip:
        return delta, False
    return delta * (clip / norm), True


def add_noise(average: torch.Tensor, plan: PrivacyPlan, generator: torch.Generator) -> torch.Tensor:
    """The DP average (the clipped updates summed over ``qK``) plus Gaussian noise of std ``z C / (qK)``."""
    return average + torch.randn(average.shape, generator=generator, dtype=average.dtype) * plan.noise_std
