"""Time per step and tokens/s from a roofline: each phase is either compute-bound or bandwidth-bound.

time = max(FLOPs / (peak FLOP/s · compute efficiency), bytes moved / (peak bandwidth · bandwidth efficiency))
(Williams et al. 2009, "Roofline"). The efficiency factors are stated per regime, not one global fudge:
- training MFU 0.40: Llama 3 reports 38–43 % BF16 MFU on H100 (Dubey et al. 2024, Table 4);
- prefill 0.60: one large forward, no backward and no gradient traffic, so above training MFU;
- decode bandwidth 0.80: streaming the weights and the KV cache reaches ~80 % of peak HBM bandwidth
  (vLLM/TensorRT-LLM batch-1 decode on A100/H100);
- a measured device (``cpu``, ``cuda``) uses 1.0: its peaks were measured with the same kind of kernel.
Pipeline bubble: (pp−1)/m of the step (Narayanan et al. 2021, §2.2). Tensor parallelism adds 4 all-reduces
of the layer output per layer and micro-batch (Shoeybi et al. 2019, §3); data-parallel gradient traffic is
assumed to overlap backward, and only what exceeds it is added.
"""

from __future__ import annotations

from dataclasses import dataclass

from sizeup.estimation._catalog import DTYPE_BYTES, Hardware
from sizeup.estimation._config import TransformerShape
from sizeup.estimation._flops import forward_flops_per_token
from sizeup.estimation._params import ParamCounts
from sizeup.estimation._types import Flops, Setup, Timing

__all__ = ["Efficiency", "efficiency_for", "train_timing", "infer_timing", "compute_dtype", "allreduce_seconds",
           "moe_fraction_touched"]


@dataclass(frozen=True)
class Efficiency:
    train_mfu: float = 0.40
    prefill: float = 0.60
    decode_compute: float = 0.60
    bandwidth: float = 0.80

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def efficiency_for(hw: Hardware) -> Efficiency:
    return Efficiency(1.0, 1.0, 1.0, 1.0) if hw.name in ("cpu", "cuda") else Efficiency()


def compute_dtype(dtype: str) -> str:
    """The dtype the matmuls run in: int4 is weight-only (AWQ/GPTQ dequantize to 16 bits); fp8/int8 are W8A8."""
    return "bf16" if dtype == "int4" else dtype


def allreduce_seconds(nbytes: float, n: int, gbs: float) -> float:
    """Ring all-reduce moves 2(n−1)/n of the data through each link (Patarasuk & Yuan 2009)."""
    return 0.0 if n <= 1 else 2 * (n - 1) / n * nbytes / (gbs * 1e9)


def train_timing(s: TransformerShape, p: ParamCounts, flops: Flops, st: Setup, hw: Hardware,
                 eff: Efficiency, *, grad_bytes_dev: float) -> Timing:
    peak, _ = hw.peak_flops(compute_dtype(st.dtype))
    tokens = st.batch * st.seq
    per_device = tokens * (flops.train + flops.recompute) / st.gpus
    compute = per_device / (peak * eff.train_mfu)
    bubble = (st.pp - 1) / st.n_micro
    a = DTYPE_BYTES[compute_dtype(st.dtype)]
    layers_dev = s.layers / st.pp
    tp_comm = 4 * layers_dev * st.n_micro * allreduce_seconds(st.micro_batch * st.seq * s.hidden * a, st.tp, hw.interconnect_gbs)
    dp_volume = grad_bytes_dev * (1.5 if st.zero >= 3 else 1.0)  # ZeRO-3 adds a parameter all-gather (ZeRO §7)
    dp_comm = max(0.0, allreduce_seconds(dp_volume, st.dp, hw.interconnect_gbs) - compute * 2 / 3)
    step = compute * (1 + bubble) + tp_comm + dp_comm
    return Timing(step_s=step, tokens_per_s=tokens / step,
                  efficiency={"train_mfu": eff.train_mfu, "bandwidth": eff.bandwidth})


def infer_timing(s: TransformerShape, p: ParamCounts, st: Setup, hw: Hardware, eff: Efficiency, *,
                 weight_bytes_dev: float, kv_bytes_dev: float) -> Timing:
    peak, _ = hw.peak_flops(compute_dtype(st.dtype))
    bw = hw.bandwidth_gbs * 1e9 * eff.bandwidth
    devices = st.tp * st.pp
    # Prefill: the whole prompt batch in one forward; the devices of one replica share the work.
    pf_flops = st.batch * st.seq * forward_flops_per_token(s, p, context=st.seq) / st.tp
    pf_compute, pf_memory = pf_flops / (peak * eff.prefill), weight_bytes_dev / bw
    prefill = max(pf_compute, pf_memory) * st.pp
    # Decode: one token for each sequence; read the weights the batch touches and the whole KV cache.
    touched = weight_bytes_dev * moe_fraction_touched(s, p, st.batch)
    dec_flops = st.batch * forward_flops_per_token(s, p, context=st.seq) / st.tp
    dec_compute, dec_memory = dec_flops / (peak * eff.decode_compute), (touched + kv_bytes_dev) / bw
    a = DTYPE_BYTES[compute_dtype(st.dtype)]
    tp_comm = 2 * s.layers / st.pp * allreduce_seconds(st.batch * s.hidden * a, st.tp, hw.interconnect_gbs)
    step = (max(dec_compute, dec_memory) + tp_comm) * st.pp
    replicas = max(1, st.gpus // devices)
    return Timing(
        prefill_s=prefill, prefill_tokens_per_s=replicas * st.batch * st.seq / prefill,
        prefill_bound="compute" if pf_compute >= pf_memory else "memory",
        decode_tokens_per_s=replicas * st.batch / step, decode_bound="compute" if dec_compute >= dec_memory else "memory",
        efficiency={"prefill": eff.prefill, "decode_compute": eff.decode_compute, "bandwidth": eff.bandwidth})


def moe_fraction_touched(s: TransformerShape, p: ParamCounts, batch: int) -> float:
    """Share of the weights one decode step reads: with b tokens routed top-k of E, an expert is idle with
    probability (1 − k/E)^b, so the expected experts read are E·(1 − (1 − k/E)^b) (uniform routing)."""
    if not s.is_moe:
        return 1.0
    used = s.experts * (1 - (1 - s.top_k / s.experts) ** batch)
    expert_share = p.mlp / p.total
    return 1 - expert_share + expert_share * used / s.experts
