"""From one replica's speed to a fleet: the batch the SLO allows, replicas for the peak, utilisation, dollars.

The batch is the largest that keeps both the time to first token and the time per output token within the SLO
(both grow with the batch, so a binary search finds it), capped by the KV cache and the engine's limit.
Replicas are sized for the peak request rate; utilisation is the mean rate over what they can serve. The fleet
runs all month (HOURS_PER_MONTH), busy or not: idle capacity is paid for, which is what utilisation prices.
"""

from __future__ import annotations

import math

from sizeup.costs._serving import Replica
from sizeup.costs._types import ServingPoint
from sizeup.costs.traffic import HOURS_PER_MONTH, Slo, Traffic

__all__ = ["choose_point", "fleet"]


def _meets(rep: Replica, batch: int, t: Traffic, slo: Slo) -> str | None:
    """The SLO key ``batch`` breaks, or None."""
    if slo.tpot_s is not None and rep.steady(batch, t.input, t.output).seconds > slo.tpot_s:
        return "slo: tpot"
    if slo.ttft_p95_s is not None and rep.ttft(batch, t.input, t.output) > slo.ttft_p95_s:
        return "slo: ttft_p95"
    return None


def choose_point(rep: Replica, t: Traffic, slo: Slo, *, max_batch: int | None = None) -> ServingPoint | None:
    """The serving point at the largest batch that meets ``slo``; None when not even one sequence fits."""
    cap = rep.max_batch(t.input, t.output)
    if cap < 1:
        return None
    top, limited = (cap, "memory") if not max_batch or cap <= max_batch else (max_batch, "max_batch")
    if _meets(rep, top, t, slo) is None:
        return _point(rep, top, cap, limited, t)
    lo, hi = 1, top  # invariant: hi breaks the SLO; lo meets it unless lo == 1 breaks too
    broken = _meets(rep, 1, t, slo)
    if broken is not None:
        return _point(rep, 1, cap, broken, t, meets=False)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _meets(rep, mid, t, slo) is None else (lo, mid)
    return _point(rep, lo, cap, _meets(rep, hi, t, slo) or limited, t)


def _point(rep: Replica, batch: int, cap: int, limited: str, t: Traffic, *, meets: bool = True) -> ServingPoint:
    st = rep.steady(batch, t.input, t.output)
    compute, bandwidth = rep.ceilings(batch, t.input, t.output)
    out = batch / st.seconds
    return ServingPoint(batch=batch, max_batch=cap, limited_by=limited, meets_slo=meets, step_s=st.seconds,
                        ttft_s=rep.ttft(batch, t.input, t.output), tpot_s=st.seconds, output_tokens_per_s=out,
                        prefill_tokens_per_s=out * t.input / t.output, linear_bound=st.linear_bound,
                        attention_bound=st.attention_bound, compute_ceiling_tokens_per_s=compute,
                        bandwidth_ceiling_tokens_per_s=bandwidth)


def fleet(point: ServingPoint, t: Traffic, *, tp: int, usd_per_gpu_hour: float) -> dict[str, float]:
    """Replicas for the peak, utilisation over the day, $ per month and per 1M tokens."""
    capacity_rps = point.output_tokens_per_s / t.output  # requests per second one replica completes
    mean_rps = t.requests_per_day / 86400
    replicas = max(1, math.ceil(mean_rps * t.peak / capacity_rps - 1e-9))
    per_month = replicas * tp * usd_per_gpu_hour * HOURS_PER_MONTH
    full = tp * usd_per_gpu_hour / (point.output_tokens_per_s * 3600) * 1e6 if usd_per_gpu_hour else None
    return {"replicas": replicas, "gpus": replicas * tp, "utilisation": mean_rps / (replicas * capacity_rps),
            "usd_per_month": per_month, "usd_per_1m_tokens": per_month / (t.tokens_per_month / 1e6),
            "usd_per_1m_output_full_load": full, "capacity_rps": capacity_rps}
