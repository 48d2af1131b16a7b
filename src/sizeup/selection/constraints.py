"""Which constraints a candidate breaks, from figures known before training or measured after it."""

from __future__ import annotations

from typing import Any

__all__ = ["FIGURE_OF", "violations", "excess", "describe"]

# constraint key -> the figure it limits
FIGURE_OF = {"max_latency_ms": "latency_ms", "max_params": "params", "max_memory_mb": "memory_mb",
             "max_flops": "flops", "max_train_seconds": "train_seconds"}


def violations(limits: dict[str, float], figures: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """``{constraint: (value, limit)}`` for every limit the known figures exceed."""
    out = {}
    for key, limit in limits.items():
        value = figures.get(FIGURE_OF[key])
        if value is not None and value > limit:
            out[key] = (float(value), float(limit))
    return out


def describe(broken: dict[str, tuple[float, float]]) -> str:
    """``violations``' result as one line: ``max_params: 2.3e+04 > 1e+04; ...``."""
    return "; ".join(f"{k}: {v:.4g} > {lim:.4g}" for k, (v, lim) in broken.items())


def excess(limits: dict[str, float], figures: dict[str, Any]) -> dict[str, float]:
    """Relative excess per constraint (0 = met; Optuna reads ``<= 0`` as feasible)."""
    out = {}
    for key, limit in limits.items():
        value = figures.get(FIGURE_OF[key])
        out[key] = max(0.0, float(value) / float(limit) - 1.0) if value is not None else 0.0
    return out
