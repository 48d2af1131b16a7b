"""What :func:`sizeup.cost` returns: plain dataclasses, rendered as tables, JSON or HTML at the edge."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sizeup.costs.traffic import Slo, Traffic

__all__ = ["ServingPoint", "EnergyEstimate", "Breakeven", "HardwareOption", "ApiOption", "CostResult"]


@dataclass(frozen=True)
class ServingPoint:
    """One replica at the batch sizeup chose: what it sustains and the latency each request sees."""

    batch: int  # running sequences
    max_batch: int  # what the KV cache holds
    limited_by: str  # "memory", "max_batch", "slo: ttft_p95", "slo: tpot"
    meets_slo: bool  # False only when even batch 1 misses the target
    step_s: float
    ttft_s: float  # time to first token at this load (an upper bound: one step of waiting, no queue)
    tpot_s: float  # time per output token = one step
    output_tokens_per_s: float  # generated tokens per second, one replica
    prefill_tokens_per_s: float  # prompt tokens per second, one replica
    linear_bound: str
    attention_bound: str
    compute_ceiling_tokens_per_s: float  # generated tokens/s if every FLOP ran at the datasheet peak
    bandwidth_ceiling_tokens_per_s: float  # ... if every byte moved at the datasheet bandwidth


@dataclass(frozen=True)
class EnergyEstimate:
    """Energy per token and per month; ``source`` says how it was obtained (here always an estimate)."""

    joules_per_token: float  # per generated token over the day, idle time included
    joules_per_token_busy: float  # per generated token while serving at the chosen batch
    watts_busy: float  # per device while serving
    kwh_per_month: float
    co2_kg_per_month: float | None
    grid_g_per_kwh: float | None
    grid: str | None  # region name or "given"
    source: str


@dataclass(frozen=True)
class Breakeven:
    """Where one self-hosted option and one API cost the same for this traffic shape."""

    hardware: str
    api: str
    utilisation: float | None  # self-hosting is cheaper when its GPUs are busier than this (None: never)
    tokens_per_month: float | None  # the first monthly volume at which self-hosting becomes cheaper (None: never)


@dataclass
class HardwareOption:
    """Self-hosting the model on one kind of device."""

    hardware: str
    description: str
    dtype: str
    kv_dtype: str
    tp: int  # devices per replica
    fits: bool
    meets_slo: bool
    point: ServingPoint | None
    replicas: int
    gpus: int
    utilisation: float  # mean request rate / what the replicas can serve
    usd_per_gpu_hour: float
    usd_per_month: float
    usd_per_1m_tokens: float | None  # at this utilisation, per 1M tokens of traffic (prompt + generated)
    usd_per_1m_output_full_load: float | None  # per 1M generated tokens with every replica busy
    energy: EnergyEstimate | None
    quality: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"self-hosted on {self.hardware}"


@dataclass
class ApiOption:
    """The same traffic billed by one API of the price catalog."""

    name: str
    provider: str
    kind: str
    model: str | None
    usd_per_1m_input: float
    usd_per_1m_output: float
    usd_per_month: float
    usd_per_1m_tokens: float  # blended over this traffic's prompt/generated mix
    source: str
    as_of: str
    quality: float | None = None


@dataclass
class CostResult:
    """Everything ``sizeup cost`` reports for one model and one traffic pattern."""

    model: str
    params: int
    traffic: Traffic
    slo: Slo
    options: list[HardwareOption]
    apis: list[ApiOption]
    breakeven: list[Breakeven]
    efficiency: dict[str, float]
    cheapest: str  # name of the cheapest option that meets the SLO
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` payload."""
        out = asdict(self)
        out["traffic"] = {**asdict(self.traffic), "requests_per_day": self.traffic.requests_per_day,
                          "tokens_per_month": self.traffic.tokens_per_month}
        return out
