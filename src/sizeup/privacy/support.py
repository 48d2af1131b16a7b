"""Which models DP-SGD can train: the private variant of each family, and the reason when there is none.

DP-SGD needs every sample's own gradient. Three kinds of layer stand in the way (Opacus' ``ModuleValidator``):
BatchNorm mixes the samples of a batch (and its running statistics are not private), PyTorch's fused LSTM/GRU/RNN
and ``nn.MultiheadAttention`` hide their weights from per-sample hooks. Each family expresses its private variant
as a knob of its own config, so a private model saves and loads like any other.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from sizeup._imports import optional_import
from sizeup.zoo._registry import split_name

__all__ = ["PRIVATE_KNOBS", "NOT_PRIVATE", "private_knobs", "why_not_private"]

# family -> the knobs that build its private variant
PRIVATE_KNOBS: dict[str, dict[str, Any]] = {
    "cnn": {"norm": "group"},  # GroupNorm (De et al. 2022) instead of BatchNorm
    "rnn": {"dp_cells": True},  # Opacus' DPLSTM / DPGRU / DPRNN
    "transformer": {"attention": "sdpa"},  # nn.Linear projections instead of nn.MultiheadAttention
}
# families (or family modes) that are not offered under DP, and why
NOT_PRIVATE: dict[str, str] = {
    "seq2seq": "seq2seq's nn.Transformer uses nn.MultiheadAttention (no per-sample gradients) and a loss averaged "
               "over the batch's non-padding tokens, which mixes samples",
    "pretrained.finetune": "fine-tuning a pretrained encoder privately is not offered (its embeddings carry "
                           "buffers and 22 M per-sample gradients would not fit); use mode='frozen', which "
                           "trains only the head",
}


def private_knobs(family: str, knobs: dict[str, Any] | None = None) -> dict[str, Any]:
    """``knobs`` with the family's private variant filled in (a knob the caller set is kept as set)."""
    base = split_name(family)[0]
    return {**PRIVATE_KNOBS.get(base, {}), **{k: v for k, v in (knobs or {}).items() if v is not None}}


def why_not_private(model: nn.Module) -> str | None:
    """``None`` when DP-SGD can train ``model``; otherwise one line saying why not (and what would do).

    The search rejects such a candidate before training. Checks the family first, then Opacus'
    ``ModuleValidator`` (BatchNorm, fused recurrent cells, ``nn.MultiheadAttention``, ...) and its rule that a
    trainable layer holds no buffers.
    """
    if getattr(model, "fits_in_one_call", False):
        return "scikit-learn fits this classic model in one call, not by gradient steps DP-SGD could clip and noise"
    spec = getattr(model, "spec", None)
    if spec is not None:
        base = split_name(spec.family)[0]
        mode = getattr(spec.config, "mode", None)
        for key in (base, f"{base}.{mode}"):
            if key in NOT_PRIVATE:
                return NOT_PRIVATE[key]
    validators = optional_import("opacus.validators", extra="privacy", feature="differential privacy")
    errors = validators.ModuleValidator.validate(model, strict=False)
    if not errors:
        from opacus.grad_sample import GradSampleModule

        errors = GradSampleModule.validate(model, strict=False)
    if not errors:
        return None
    first = str(errors[0]).strip().splitlines()[0]
    fix = ""
    if spec is not None and split_name(spec.family)[0] in PRIVATE_KNOBS:
        knobs = ", ".join(f"{k}={v!r}" for k, v in PRIVATE_KNOBS[split_name(spec.family)[0]].items())
        fix = f"; build it with {knobs} (sizeup.privacy.private_knobs does)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"Opacus cannot train {spec.describe() if spec else type(model).__name__} privately: {first}{more}{fix}"
