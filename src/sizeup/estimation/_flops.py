"""Model FLOPs of a Transformer per token (a multiply-add counts 2).

Forward: 2·N_matmul + 4·L·(heads·head_dim)·context (Chowdhery et al. 2022, "PaLM", App. B: 6N + 12·L·H·Q·T
for forward + backward), with N_matmul the *active* parameters that multiply activations (MoE: top-k experts
and the router; embedding look-ups excluded; a tied output head included). Backward = 2 × forward
(Kaplan et al. 2020, §2.1). The attention term counts the full context like ``FlopCounterMode`` does for
``scaled_dot_product_attention``, capped by a sliding window.
"""

from __future__ import annotations

from sizeup.estimation._config import TransformerShape
from sizeup.estimation._params import ParamCounts
from sizeup.estimation._types import Flops

__all__ = ["transformer_flops", "forward_flops_per_token"]


def forward_flops_per_token(s: TransformerShape, p: ParamCounts, *, context: int) -> float:
    keys = min(context, s.sliding_window or context)
    return 2.0 * p.matmul_active + 4.0 * s.layers * s.q_dim * keys


def transformer_flops(s: TransformerShape, p: ParamCounts, *, seq: int, recompute: str = "none") -> Flops:
    fwd = forward_flops_per_token(s, p, context=seq)
    # Full recomputation runs every layer's forward again during backward (Korthikanti et al. 2022, §5).
    extra = fwd if recompute == "full" else 0.0
    return Flops(forward=fwd, backward=2.0 * fwd, per="token", recompute=extra)
