"""How fast one replica serves a traffic mix under continuous batching: step time, TTFT, TPOT, tokens/s.

A replica runs steps. Each step decodes one token for every running sequence (B of them) and, with chunked
prefill (Agrawal et al. 2024, "Sarathi-Serve", §4), carries the prompt tokens of the requests that join: in
steady state B·I/O prompt tokens per step on average, for I prompt and O generated tokens per request.

A step is priced operator by operator on the roofline (Williams et al. 2009), then summed, as in
Yuan et al. 2024 ("LLM Inference Unveiled: Survey and Roofline Model Insights", §3):
- the linear layers: max(FLOPs / (peak · compute efficiency), weight bytes / (bandwidth · bandwidth efficiency));
  with hundreds of tokens per step they are compute-bound, at batch 1 they stream the weights;
- attention: max(FLOPs at 16 bits, KV-cache bytes read / bandwidth); decode reads the whole cache of every
  running sequence (Pope et al. 2022, §2), so it stays bandwidth-bound at any batch;
- tensor parallelism: two all-reduces of the step's activations per layer (Shoeybi et al. 2019, §3).
The two kernels run one after the other, so their times add; the single max(compute, (weights + KV) /
bandwidth) of a whole step is the lower bound this never goes below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sizeup.estimation import (DTYPE_BYTES, Efficiency, Estimate, Hardware, ParamCounts, TransformerShape,
                               allreduce_seconds, compute_dtype, count_params, moe_fraction_touched)

__all__ = ["ServingEfficiency", "Replica", "Step"]


@dataclass(frozen=True)
class ServingEfficiency:
    """The stated factors of the serving model; ``roofline`` holds sizeup estimate's per-regime factors."""

    roofline: Efficiency = Efficiency()
    kv_memory_fraction: float = 0.90  # vLLM gpu_memory_utilization / TensorRT-LLM kv_cache_free_gpu_mem_fraction default
    request_overhead_s: float = 0.005  # fixed latency of a request's first token (see docs/cost.md, TTFT)
    chunk_tokens: int = 8192  # most tokens one step carries (TensorRT-LLM max_num_tokens default)


@dataclass(frozen=True)
class Step:
    """One continuous-batching step: its seconds by part and what bound each part."""

    seconds: float
    linear_s: float
    attention_s: float
    comm_s: float
    linear_bound: str  # "compute" or "memory"
    attention_bound: str
    flops: float  # per device
    bytes: float  # per device


@dataclass(frozen=True)
class Replica:
    """One model replica (``tp`` devices) with the per-token quantities every step is built from."""

    shape: TransformerShape
    params: ParamCounts
    hw: Hardware
    dtype: str
    kv_dtype: str
    tp: int
    weight_bytes: float  # per device
    fixed_bytes: float  # per device: weights + runtime overhead + one chunk's activations
    eff: ServingEfficiency

    @classmethod
    def from_estimate(cls, est: Estimate, hw: Hardware, eff: ServingEfficiency, *, context: int) -> Replica:
        """Built from ``sizeup.estimate`` at batch 1 over ``context`` tokens: its weights, overhead and working set."""
        shape = TransformerShape(**est.shape)
        m = est.memory
        chunk_acts = m.activations * eff.chunk_tokens / max(1, context)  # the working set is linear in tokens
        return cls(shape=shape, params=count_params(shape), hw=hw, dtype=est.setup.dtype, kv_dtype=est.setup.kv_dtype,
                   tp=est.setup.tp, weight_bytes=m.weights, fixed_bytes=m.weights + m.overhead + chunk_acts, eff=eff)

    # --- per-token quantities (per device) ---
    @property
    def kv_bytes_per_token(self) -> float:
        s = self.shape
        return 2 * s.layers * math.ceil(s.kv_heads / self.tp) * s.head_dim * DTYPE_BYTES[self.kv_dtype]

    def kv_tokens(self, context: float) -> float:
        """Tokens one sequence keeps in the cache: a sliding window caps it."""
        return min(context, self.shape.sliding_window or context)

    def _linear_flops(self, tokens: float, *, with_head: bool = True) -> float:
        p = self.params
        per = p.matmul_active - (0 if with_head else p.head_matmul)
        return 2.0 * per * tokens / self.tp

    def _attention_flops(self, queries: float, keys: float) -> float:
        """QKᵀ and AV of ``queries`` tokens against ``keys`` keys each (PaLM App. B: 4·L·heads·head_dim per pair)."""
        s = self.shape
        return 4.0 * s.layers * s.q_dim * queries * self.kv_tokens(keys) / self.tp

    @property
    def kv_capacity_tokens(self) -> float:
        """Tokens of KV cache that fit on each device after weights, overhead and one chunk's working set."""
        free = self.eff.kv_memory_fraction * self.hw.memory_bytes - self.fixed_bytes
        return max(0.0, free) / self.kv_bytes_per_token

    def max_batch(self, prompt: int, output: int) -> int:
        """Sequences that fit at once, each holding its whole context (prompt + output): no preemption."""
        return int(self.kv_capacity_tokens // self.kv_tokens(prompt + output))

    # --- the step ---
    def step(self, *, decode: float, prefill: float, context: float, prompt: int, prompts_done: float = 0.0) -> Step:
        """One step decoding ``decode`` sequences at mean ``context`` while prefilling ``prefill`` prompt tokens
        (``prompts_done`` prompts finish this step and need their first token's logits)."""
        eff = self.eff.roofline
        peak, _ = self.hw.peak_flops(compute_dtype(self.dtype))
        peak16, _ = self.hw.peak_flops(_attention_dtype(self.dtype))
        bw = self.hw.bandwidth_gbs * 1e9 * eff.bandwidth
        tokens = decode + prefill
        lin_flops = self._linear_flops(decode) + self._linear_flops(prefill, with_head=False) \
            + self._linear_flops(prompts_done) - self._linear_flops(prompts_done, with_head=False)
        weights = self.weight_bytes * moe_fraction_touched(self.shape, self.params, max(1, round(tokens)))
        lin_c, lin_m = lin_flops / (peak * eff.decode_compute), weights / bw
        att_flops = self._attention_flops(decode, context) + self._attention_flops(prefill, prompt / 2)  # causal mean
        kv = self.kv_bytes_per_token
        att_bytes = decode * self.kv_tokens(context) * kv + prefill * kv  # read every cache, write the new keys
        att_c, att_m = att_flops / (peak16 * eff.decode_compute), att_bytes / bw
        act = 4 if self.dtype == "fp32" else 2  # quantized weights still all-reduce 16-bit activations
        comm = 2 * self.shape.layers * allreduce_seconds(tokens * self.shape.hidden * act, self.tp, self.hw.interconnect_gbs)
        lin, att = max(lin_c, lin_m), max(att_c, att_m)
        return Step(seconds=lin + att + comm, linear_s=lin, attention_s=att, comm_s=comm,
                    linear_bound="compute" if lin_c >= lin_m else "memory",
                    attention_bound="compute" if att_c >= att_m else "memory",
                    flops=lin_flops + att_flops, bytes=weights + att_bytes)

    def steady(self, batch: float, prompt: int, output: int) -> Step:
        """The average step at ``batch`` running sequences, prompts of the joining requests chunked in."""
        return self.step(decode=batch, prefill=batch * prompt / output, context=prompt + output / 2, prompt=prompt,
                         prompts_done=batch / output)

    def prefill_alone(self, prompt: int) -> float:
        """Seconds to prefill one prompt on an idle replica, chunk by chunk."""
        chunks = max(1, math.ceil(prompt / self.eff.chunk_tokens))
        per = self.step(decode=0, prefill=prompt / chunks, context=0, prompt=prompt, prompts_done=1 / chunks)
        return chunks * per.seconds

    def ttft(self, batch: float, prompt: int, output: int) -> float:
        """Time to first token at ``batch``: the fixed overhead, the wait for the next step boundary (one step at
        most) and the prompt's chunks, each riding a step of the running batch. No queue: replicas are sized so
        that the peak fits (see _capacity)."""
        if batch <= 1:
            return self.eff.request_overhead_s + self.prefill_alone(prompt)
        chunks = max(1, math.ceil(prompt / self.eff.chunk_tokens))
        per = self.step(decode=batch, prefill=max(batch * prompt / output, prompt / chunks), context=prompt + output / 2,
                        prompt=prompt, prompts_done=max(batch / output, 1 / chunks))
        return self.eff.request_overhead_s + (1 + chunks) * per.seconds

    def ceilings(self, batch: float, prompt: int, output: int) -> tuple[float, float]:
        """(compute, bandwidth) ceilings on generated tokens/s at ``batch``: the hardware's peaks, no efficiency."""
        st = self.steady(batch, prompt, output)
        peak, _ = self.hw.peak_flops(compute_dtype(self.dtype))
        return batch * peak / st.flops, batch * self.hw.bandwidth_gbs * 1e9 / st.bytes


def _attention_dtype(dtype: str) -> str:
    """Attention runs in 16 bits whatever the weights' format (FP8/INT4 caches are dequantized in the kernel)."""
    return dtype if dtype in ("fp32", "fp16") else "bf16"
