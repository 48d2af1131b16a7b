"""The same traffic billed by every API in the price catalog, and where self-hosting breaks even with each.

An API bills prompt and generated tokens at their own prices, so its cost is linear in volume. A fleet costs
whole replicas running all month, a step function of volume. Per request, self-hosting at full load costs
c_full = devices · $/h / (3600 · requests per second a replica completes); the API costs c_api = I·p_in + O·p_out.
Self-hosting is cheaper once its GPUs are busier than u* = c_full / c_api; with a peak-to-mean ratio of k a
replica is at most 1/k busy on average, so it never wins when u* > 1/k. The first break-even volume is where one
replica's month equals the API bill; past it, each added replica briefly hands the lead back (the plot shows it).
"""

from __future__ import annotations

from sizeup.costs._types import ApiOption, Breakeven, HardwareOption
from sizeup.costs.traffic import HOURS_PER_MONTH, Traffic
from sizeup.estimation import ApiPrice

__all__ = ["api_options", "breakevens", "api_cost_per_request"]


def api_cost_per_request(price: ApiPrice, t: Traffic) -> float:
    return (t.input * price.usd_per_1m_input + t.output * price.usd_per_1m_output) / 1e6


def api_options(prices: list[ApiPrice], t: Traffic, quality: dict[str, float]) -> list[ApiOption]:
    """Every API priced for ``t``, cheapest first; ``quality`` scores by API name or by the open model served."""
    out = []
    for p in prices:
        per_month = api_cost_per_request(p, t) * t.requests_per_day * HOURS_PER_MONTH / 24
        out.append(ApiOption(name=p.name, provider=p.provider, kind=p.kind, model=p.model,
                             usd_per_1m_input=p.usd_per_1m_input, usd_per_1m_output=p.usd_per_1m_output,
                             usd_per_month=per_month, usd_per_1m_tokens=per_month / (t.tokens_per_month / 1e6),
                             source=p.source, as_of=p.as_of, quality=quality.get(p.name, quality.get(p.model or ""))))
    return sorted(out, key=lambda a: a.usd_per_month)


def breakevens(options: list[HardwareOption], prices: list[ApiPrice], t: Traffic,
               capacity_rps: dict[str, float]) -> list[Breakeven]:
    """One :class:`Breakeven` per (feasible hardware, API)."""
    out = []
    for o in options:
        cap = capacity_rps.get(o.hardware)
        if not cap or not o.usd_per_gpu_hour:
            continue
        c_full = o.tp * o.usd_per_gpu_hour / 3600 / cap
        one_replica_month = o.tp * o.usd_per_gpu_hour * HOURS_PER_MONTH
        max_tokens_one_replica = cap / t.peak * 3600 * HOURS_PER_MONTH * (t.input + t.output)
        for p in prices:
            c_api = api_cost_per_request(p, t)
            u = c_full / c_api if c_api > 0 else None
            volume = one_replica_month / c_api * (t.input + t.output) if c_api > 0 else None
            wins = volume is not None and volume <= max_tokens_one_replica
            out.append(Breakeven(hardware=o.hardware, api=p.name, utilisation=u if u is not None and u <= 1 else None,
                                 tokens_per_month=volume if wins else None))
    return out
