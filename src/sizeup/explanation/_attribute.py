"""Integrated Gradients (Sundararajan et al. 2017) with a completeness check.

Completeness: the attributions of one input sum to f(x) − f(baseline) of the explained logit. The
integral is approximated with Gauss–Legendre quadrature; ``n_steps`` doubles until the relative gap
is under ``TOLERANCE`` (or ``MAX_STEPS`` is reached), and the gap reached is recorded per sample.
Token inputs are attributed at the embedding layer (layer IG), from the embedding of padding (id 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from sizeup._imports import optional_import

__all__ = ["Attribution", "integrated_gradients", "embedding_layer", "TOLERANCE"]

TOLERANCE = 0.005  # half the 1 % bar, so the recorded figure has room to spare
START_STEPS, MAX_STEPS = 32, 1024


@dataclass
class Attribution:
    values: torch.Tensor  # input-shaped (float inputs) or one value per token
    fx: float  # the explained logit at the input
    fb: float  # ... and at the baseline
    delta: float  # sum(values) − (fx − fb)
    n_steps: int

    @property
    def rel_error(self) -> float:
        return abs(self.delta) / max(abs(self.fx - self.fb), 1e-6)


def embedding_layer(model: nn.Module) -> nn.Embedding | None:
    return next((m for m in model.modules() if isinstance(m, nn.Embedding)), None)


def _endpoints(model: nn.Module, x: torch.Tensor, target: int, layer: nn.Embedding | None) -> tuple[float, float]:
    """f(x) and f(baseline); for layer IG the baseline swaps only the embedding output (the padding mask,
    which the model computes from the ids, stays that of x, as it does along the whole path)."""
    with torch.no_grad():
        fx = float(model(x)[0, target])
        if layer is None:
            return fx, float(model(torch.zeros_like(x))[0, target])
        pad = layer(torch.zeros_like(x))
        handle = layer.register_forward_hook(lambda m, i, o: pad)
        try:
            return fx, float(model(x)[0, target])
        finally:
            handle.remove()


def integrated_gradients(model: nn.Module, x: torch.Tensor, target: int) -> Attribution:
    """Attribute logit ``target`` of one input ``x`` (batch of 1) to its features, or to its tokens."""
    captum = optional_import("captum.attr", extra="explain", feature="sizeup explain")
    layer = embedding_layer(model) if not x.is_floating_point() else None
    if not x.is_floating_point() and layer is None:
        raise ValueError("token inputs need an nn.Embedding layer to attribute to")
    method = captum.LayerIntegratedGradients(model, layer) if layer is not None else captum.IntegratedGradients(model)
    fx, fb = _endpoints(model, x, target, layer)
    steps = START_STEPS
    while True:
        values = method.attribute(x, baselines=torch.zeros_like(x), target=target, n_steps=steps,
                                  method="gausslegendre", internal_batch_size=256)
        if layer is not None:
            values = values.sum(dim=-1)  # one value per token: the embedding dimensions together
        values = values.detach()[0].cpu()
        result = Attribution(values, fx, fb, float(values.sum()) - (fx - fb), steps)
        if result.rel_error <= TOLERANCE or steps >= MAX_STEPS:
            return result
        steps *= 2
