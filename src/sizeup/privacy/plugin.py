"""DP-SGD as a :class:`~sizeup.training.TrainingPlugin`: Opacus' per-sample gradients, clipping and noise inside
sizeup's one training loop, with Poisson-sampled batches and the budget accounted step by step.

Each step draws every training row independently with probability q (Poisson sampling, the sampling the
subsampled Gaussian analysis assumes; Abadi et al. 2016), computes each row's gradient (Opacus' hooks, attached
to the model without wrapping it), clips each to ``max_grad_norm``, sums them, adds Gaussian noise of standard
deviation σ·``max_grad_norm`` and divides by the expected batch size (``opacus.optimizers.DPOptimizer``).
σ is solved before the first step from (ε, δ, q, planned steps). Opacus' accountant is attached to the
optimizer and records every step taken; an empty Poisson batch (probability (1 − q)^n per step) is skipped by
the loop but still recorded, so the figure can only be conservative.

Padding tokens: PyTorch gives an embedding's ``padding_idx`` row no gradient, but Opacus' per-sample sampler does
(it scatters every index), and the noise lands on that row too. The plugin zeroes the row's per-sample gradients
(so clipping spends nothing on it) and resets the row to zero after each step (post-processing of a private
output, which costs no privacy), so padding stays the zero vector the families assume.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from sizeup._imports import optional_import
from sizeup.errors import SizeupError
from sizeup.privacy.accounting import NoisePlan, epsilon_spent, solve_noise
from sizeup.training.plugins import TrainingPlugin

__all__ = ["DPSGDPlugin"]


class DPSGDPlugin(TrainingPlugin):
    """Train with (``epsilon``, ``delta``)-DP-SGD; ``summary()`` reports what was spent.

    ``accountant`` is ``"prv"`` (falls back to RDP where PRV fails) or ``"rdp"``. The noise is drawn from a
    generator seeded from the run's seed, so a run is reproducible; that is not a cryptographically secure
    source (Opacus' ``secure_mode`` is), which matters only against an attacker who can predict it.
    """

    clips_gradients = True

    def __init__(self, *, epsilon: float, delta: float, max_grad_norm: float = 1.0, accountant: str = "prv") -> None:
        if not (epsilon > 0 and math.isfinite(epsilon)):
            raise SizeupError(f"[privacy] epsilon must be a positive number, got {epsilon!r}")
        if not 0 < delta < 1:
            raise SizeupError(f"[privacy] delta must be in (0, 1), got {delta!r}; 1e-5 is usual")
        if not max_grad_norm > 0:
            raise SizeupError(f"[privacy] max_grad_norm must be positive, got {max_grad_norm!r}")
        self.epsilon, self.delta, self.max_grad_norm, self.accountant_name = epsilon, delta, max_grad_norm, accountant
        self.plan: NoisePlan | None = None

    def setup(self, model: nn.Module, optimizer: torch.optim.Optimizer, *, n_train: int, batch_size: int,
              epochs: int, generator: torch.Generator) -> tuple[nn.Module, torch.optim.Optimizer]:
        opacus = optional_import("opacus", extra="privacy", feature="differential privacy ([privacy] epsilon)")
        _register_padding_aware_embedding(opacus)
        # Opacus' backward hooks on the first layer, whose input needs no gradient: expected, and said every step
        warnings.filterwarnings("ignore", message="Full backward hook is firing when gradients are computed")
        super().setup(model, optimizer, n_train=n_train, batch_size=batch_size, epochs=epochs, generator=generator)
        if self.delta >= 1 / n_train:
            raise SizeupError(f"[privacy] delta = {self.delta:g} is not below 1/n = {1 / n_train:.3g} ({n_train} training "
                              "rows): publishing one random row outright would meet it; set a smaller delta")
        # Opacus' DPDataLoader: as many steps per epoch as the plain loader has batches, q = 1 / that number
        self._steps = -(-n_train // batch_size)
        self.sample_rate = 1.0 / self._steps
        self.plan = solve_noise(self.epsilon, self.delta, sample_rate=self.sample_rate, steps=epochs * self._steps,
                                accountant=self.accountant_name)
        self.accountant = opacus.accountants.create_accountant(mechanism=self.plan.accountant)
        self.hooks = opacus.grad_sample.GradSampleHooks(model, batch_first=True, loss_reduction="mean", strict=True)
        noise = torch.Generator().manual_seed(int(torch.randint(2**62, (1,), generator=generator)))
        dp_optimizer = opacus.optimizers.DPOptimizer(
            optimizer, noise_multiplier=self.plan.noise_multiplier, max_grad_norm=self.max_grad_norm,
            expected_batch_size=max(1, round(n_train * self.sample_rate)), loss_reduction="mean", generator=noise)
        dp_optimizer.attach_step_hook(self.accountant.get_optimizer_hook_fn(sample_rate=self.sample_rate))
        self._pad_hook = _keep_padding_zero(model, optimizer)
        self.empty_batches = 0
        return model, dp_optimizer

    def steps_per_epoch(self) -> int:
        return self._steps

    def batches(self, epoch: int) -> Iterator[torch.Tensor]:
        """Poisson sampling: each row joins each step's batch independently with probability q."""
        for _ in range(self._steps):
            idx = (torch.rand(self.n_train, generator=self.generator) < self.sample_rate).nonzero().flatten()
            if len(idx) == 0:  # the mechanism still ran (it released noise only): count the step
                self.accountant.step(noise_multiplier=self.plan.noise_multiplier, sample_rate=self.sample_rate)
                self.empty_batches += 1
                continue
            yield idx

    def teardown(self) -> None:
        """Detach Opacus' hooks and per-sample gradients, so the trained model is a plain module again."""
        hooks = getattr(self, "hooks", None)
        if hooks is not None:
            hooks.cleanup()
            self._pad_hook.remove()
            self.hooks = None

    def summary(self) -> dict[str, Any]:
        if self.plan is None:
            return {}
        history = list(self.accountant.history)
        steps = sum(n for _, _, n in history)
        accountant, fallback = self.plan.accountant, self.plan.fallback
        try:
            spent = epsilon_spent(history, self.delta, accountant)
        except (ValueError, RuntimeError, ArithmeticError) as exc:  # PRV solved the plan but fails on these steps
            # both bound what the steps taken spent: RDP's figure for them, PRV's for the (no shorter) plan
            rdp = epsilon_spent(history, self.delta, "rdp")
            spent, accountant = (rdp, "rdp") if rdp <= self.plan.epsilon else (self.plan.epsilon, "prv, planned steps")
            fallback = f"{self.plan.accountant} failed on the steps taken: {exc}"
        return {"privacy": {
            "epsilon": spent, "epsilon_target": self.epsilon, "delta": self.delta, "accountant": accountant,
            "accountant_fallback": fallback, "noise_multiplier": self.plan.noise_multiplier,
            "sample_rate": self.sample_rate, "steps": steps, "planned_steps": self.plan.steps,
            "max_grad_norm": self.max_grad_norm, "empty_batches": self.empty_batches,
        }}


def _register_padding_aware_embedding(opacus: Any) -> None:
    """Replace Opacus' ``nn.Embedding`` per-sample sampler with one that leaves the padding row at zero (once)."""
    samplers = opacus.grad_sample.GradSampleHooks.GRAD_SAMPLERS
    original = samplers.get(nn.Embedding)
    if original is None or getattr(original, "sizeup_padding_aware", False):
        return

    def sampler(layer: nn.Embedding, activations: Any, backprops: torch.Tensor) -> dict:
        grads = original(layer, activations, backprops)
        if layer.padding_idx is not None and layer.weight in grads:
            grads[layer.weight][:, layer.padding_idx] = 0.0
        return grads

    sampler.sizeup_padding_aware = True  # type: ignore[attr-defined]
    samplers[nn.Embedding] = sampler


def _keep_padding_zero(model: nn.Module, optimizer: torch.optim.Optimizer) -> Any:
    """After every optimizer step, set each trainable embedding's padding row back to zero."""
    rows = [(m.weight, m.padding_idx) for m in model.modules()
            if isinstance(m, nn.Embedding) and m.padding_idx is not None and m.weight.requires_grad]

    def reset(*_: Any) -> None:
        with torch.no_grad():
            for weight, idx in rows:
                weight[idx].zero_()

    return optimizer.register_step_post_hook(reset)
