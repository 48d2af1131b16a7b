"""One Transformer config on one setup -> :class:`Estimate` (memory, FLOPs, roofline time, cost)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sizeup.estimation._catalog import DTYPE_BYTES, Hardware, api_prices
from sizeup.estimation._config import TransformerShape
from sizeup.estimation._flops import transformer_flops
from sizeup.estimation._memory import kv_cache_bytes, transformer_memory
from sizeup.estimation._params import ParamCounts, count_params
from sizeup.estimation._roofline import Efficiency, infer_timing, train_timing
from sizeup.estimation._types import Cost, Estimate, MemoryBreakdown, Setup, Timing

__all__ = ["estimate_transformer", "evaluate_setup", "hardware_dict"]


def hardware_dict(hw: Hardware) -> dict[str, Any]:
    return {k: v for k, v in asdict(hw).items()}


def evaluate_setup(s: TransformerShape, p: ParamCounts, st: Setup, hw: Hardware,
                   eff: Efficiency) -> tuple[MemoryBreakdown, Timing]:
    """Memory of the fullest device and the roofline timing for one setup (the plan search calls this)."""
    mem = transformer_memory(s, p, st, hw)
    if st.mode == "train":
        flops = transformer_flops(s, p, seq=st.seq, recompute=st.recompute)
        grad_full = (p.total / (st.tp * st.pp)) * DTYPE_BYTES[st.grad_dtype]
        timing = train_timing(s, p, flops, st, hw, eff, grad_bytes_dev=grad_full)
    else:
        kv = kv_cache_bytes(s, st, layers=s.layers) / (st.pp if st.pp > 1 else 1)
        timing = infer_timing(s, p, st, hw, eff, weight_bytes_dev=mem.weights, kv_bytes_dev=kv)
    return mem, timing


def estimate_transformer(s: TransformerShape, st: Setup, hw: Hardware, eff: Efficiency, *, source: str,
                         notes: list[str], api: dict[str, dict[str, Any]] | None = None,
                         params_by_dtype: dict[str, int] | None = None) -> Estimate:
    p = count_params(s)
    mem, timing = evaluate_setup(s, p, st, hw, eff)
    return Estimate(
        model=s.name, source=source, params=p.total, active_params=p.active, setup=st, hardware=hardware_dict(hw),
        memory=mem, capacity_bytes=hw.memory_bytes, fits=mem.total <= hw.memory_bytes,
        flops=transformer_flops(s, p, seq=st.seq, recompute=st.recompute), timing=timing,
        cost=_cost(st, hw, timing, api), params_by_dtype=params_by_dtype, shape=asdict(s), notes=notes)


def _cost(st: Setup, hw: Hardware, t: Timing, api: dict[str, dict[str, Any]] | None) -> Cost:
    per_hour = hw.usd_per_hour * st.gpus
    tok_s = t.decode_tokens_per_s if st.mode == "infer" else t.tokens_per_s
    per_1m = per_hour / (tok_s * 3600) * 1e6 if tok_s and per_hour else None
    apis = []
    if st.mode == "infer":
        apis = [{"name": a.name, "provider": a.provider, "kind": a.kind, "model": a.model,
                 "usd_per_1m_output": a.usd_per_1m_output, "usd_per_1m_input": a.usd_per_1m_input, "source": a.source,
                 "as_of": a.as_of} for a in api_prices(api)]
    return Cost(usd_per_hour=per_hour, usd_per_1m_tokens=per_1m, api=apis)
