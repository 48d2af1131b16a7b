"""Per-device memory of a Transformer for one :class:`Setup`, component by component, summed (not a max).

Sources, one line each:
- Weights/gradients/optimizer states and ZeRO sharding: Rajbhandari et al. 2020, "ZeRO", §3.1 and §5
  (mixed-precision Adam keeps K=12 bytes/param: fp32 master, m and v).
- Activations per layer: Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer
  Models", §4 (34·s·b·h + 5·a·s²·b bytes), generalised here term by term to GQA, gated MLPs, any intermediate
  size and FlashAttention (Dao et al. 2022: no s² scores are kept, only the output and a log-sum-exp).
- Pipeline: the first 1F1B stage holds ``pp`` micro-batches in flight (Narayanan et al. 2021, §2.2).
- KV cache: 2 · layers · kv_heads · head_dim · tokens · bytes (Pope et al. 2022, "Efficiently Scaling
  Transformer Inference", §2).
"""

from __future__ import annotations

import math

from sizeup.estimation._catalog import DTYPE_BYTES, Hardware
from sizeup.estimation._config import TransformerShape
from sizeup.estimation._params import ParamCounts
from sizeup.estimation._types import MemoryBreakdown, Setup

__all__ = ["transformer_memory", "weight_bytes_per_param", "activation_bytes_per_token"]

_QUANTIZED = {"fp8", "int8", "int4"}
# AWQ/GPTQ int4 keep one fp16 scale and one fp16 zero per group of 128 weights: 4 bytes / 128 params.
_INT4_GROUP_OVERHEAD = 4 / 128


def weight_bytes_per_param(dtype: str) -> float:
    return DTYPE_BYTES[dtype] + (_INT4_GROUP_OVERHEAD if dtype == "int4" else 0.0)


def activation_bytes_per_token(s: TransformerShape, *, recompute: str, act_bytes: float, seq: int,
                               flash: bool = True, training: bool = True) -> float:
    """Bytes one layer keeps for backward per token (before dividing by tensor/sequence parallelism)."""
    if recompute == "full":
        return act_bytes * s.hidden  # only the layer's input survives; the rest is recomputed
    a, h, inter = act_bytes, s.hidden, s.intermediate * s.top_k
    keep_norm_out = recompute != "selective"  # selective: norms and MLP activation functions are recomputed
    attn = a * h + (a * h if keep_norm_out else 0) + a * (s.q_dim + 2 * s.kv_dim) + a * s.q_dim
    if flash:
        attn += 4 * s.heads  # fp32 log-sum-exp per head
    elif recompute != "selective":
        keys = min(seq, s.sliding_window or seq)
        attn += s.heads * keys * (2 * a + (1 + a if s.dropout and training else 0))  # scores, softmax, dropout
    mlp = a * h + (a * h if keep_norm_out else 0)
    if s.gated_mlp:  # gate, up, act(gate) [recomputable], act(gate)*up
        mlp += a * inter * (3 if keep_norm_out else 2) + a * inter
    else:  # fc1 out, act(fc1) [recomputable]
        mlp += a * inter * (2 if keep_norm_out else 1)
    if s.is_moe:
        mlp += a * h * s.top_k + 4 * s.experts  # tokens dispatched to each expert, fp32 router logits
    masks = 2 * h if s.dropout and training else 0  # 1-byte dropout masks after attention and MLP
    return attn + mlp + masks


def _stage_params(p: ParamCounts, s: TransformerShape, pp: int) -> tuple[float, float, int]:
    """(layer params, edge params, layers) on the fullest pipeline stage; edge = embedding or head."""
    body = p.attention + p.mlp + p.norms + p.other
    layers = math.ceil(s.layers / pp)
    edge = p.embedding + p.head if pp == 1 else max(p.embedding, p.head)
    return body * layers / s.layers, edge, layers


def transformer_memory(s: TransformerShape, p: ParamCounts, setup: Setup, hw: Hardware) -> MemoryBreakdown:
    """Memory of the fullest device: the larger of the first stage (embedding, most micro-batches in flight)
    and the last stage (output head, logits)."""
    first = _stage_memory(s, p, setup, hw, last=setup.pp == 1)
    if setup.pp == 1:
        return first
    last = _stage_memory(s, p, setup, hw, last=True, first=False)
    return first if first.total >= last.total else last


def _stage_memory(s: TransformerShape, p: ParamCounts, st: Setup, hw: Hardware, *, last: bool,
                  first: bool = True) -> MemoryBreakdown:
    tp, dp = st.tp, st.dp
    body, edge, layers = _stage_params(p, s, st.pp)
    if st.pp > 1:
        edge = p.embedding if first else p.head
    train = st.mode == "train"
    compute_dtype = "bf16" if st.dtype in _QUANTIZED else st.dtype
    a = DTYPE_BYTES[compute_dtype]
    # Quantized checkpoints (FP8/INT8/INT4) keep embeddings and the output head in 16 bits (vLLM, llm-compressor).
    weights = (body * weight_bytes_per_param(st.dtype) + edge * a) / tp
    params_dev = (body + edge) / tp
    grads = optim = 0.0
    if train:
        weights /= dp if st.zero >= 3 else 1
        grads = params_dev * DTYPE_BYTES[st.grad_dtype] / (dp if st.zero >= 2 else 1)
        optim = params_dev * _optimizer_bytes(st.optimizer, mixed=st.dtype != "fp32") / (dp if st.zero >= 1 else 1)
    if train:
        in_flight = min(st.pp, st.n_micro) if first else 1
        tokens = st.micro_batch * st.seq
        per_tok = activation_bytes_per_token(s, recompute=st.recompute, act_bytes=a, seq=st.seq)
        acts = in_flight * tokens * layers * per_tok / tp  # sequence parallelism splits the rest by tp too
        if st.recompute == "full":  # backward rebuilds one layer at a time
            acts += tokens * activation_bytes_per_token(s, recompute="none", act_bytes=a, seq=st.seq) / tp
        # HF and Megatron compute the loss on fp32 logits: bf16 logits + fp32 copy + fp32 gradient.
        logits = tokens * s.vocab_size * (a + 8) / tp if (last and s.has_lm_head) else 0.0
        kv = 0.0
    else:
        tokens = st.batch * st.seq  # prefill works on the whole prompt batch at once
        working = a * tokens * (2 * s.hidden + s.q_dim + 2 * s.kv_dim + 3 * s.intermediate * s.top_k) / tp
        acts = working  # one layer's transient working set; nothing is kept for backward
        logits = st.batch * s.vocab_size * (a + 4) / tp if (last and s.has_lm_head) else 0.0
        kv = kv_cache_bytes(s, st, layers=layers)
    return MemoryBreakdown(weights=int(weights), gradients=int(grads), optimizer=int(optim), activations=int(acts),
                           logits=int(logits), kv_cache=int(kv), overhead=hw.overhead_bytes)


def kv_cache_bytes(s: TransformerShape, st: Setup, *, layers: int) -> float:
    if not s.causal:
        return 0.0  # an encoder keeps no cache between calls
    kv_len = min(st.seq, s.sliding_window or st.seq)
    kv_heads_dev = math.ceil(s.kv_heads / st.tp)  # with tp > kv_heads each head is replicated
    return 2 * layers * st.batch * kv_len * kv_heads_dev * s.head_dim * DTYPE_BYTES[st.kv_dtype]


def _optimizer_bytes(optimizer: str, *, mixed: bool) -> float:
    """Optimizer state bytes per parameter, plus the fp32 master copy when training in 16 bits (ZeRO §3.1)."""
    master = 4 if mixed else 0
    states = {"adamw": 8, "sgd": 4, "adam8bit": 2}[optimizer]  # m+v fp32; momentum fp32; m+v int8 (bitsandbytes)
    return master + states
